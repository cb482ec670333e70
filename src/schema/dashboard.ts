import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import { loadDashboard, type Dashboard } from '../orchestration/dashboard.js';
import { builder } from './builder.js';
import { CommentRef } from './comment.js';
import { listSize } from './cost.js';
import { served } from './field-helpers.js';
import { DEFAULT_JOBS, IndustryRef, JobRef } from './industry.js';
import { NpsScoreRef } from './nps.js';
import { DEFAULT_COMMENTS, UserRef } from './user.js';

const UserDashboardRef = builder.objectRef<Dashboard>('UserDashboard').implement({
  description: 'Everything a frontend shows for one user, from all four services in one query.',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (d, _a, ctx, info) => served(ctx, info, d.user) }),
    industry: t.field({ type: IndustryRef, nullable: true, resolve: (d, _a, ctx, info) => served(ctx, info, d.industry) }),
    recentJobs: t.field({ type: [JobRef], nullable: true, description: 'The 5 newest jobs of the user’s industry.', extensions: listSize({ estimate: DEFAULT_JOBS }), resolve: (d, _a, ctx, info) => served(ctx, info, d.recentJobs) }),
    comments: t.field({ type: [CommentRef], nullable: true, description: 'The 10 newest comments.', extensions: listSize({ estimate: DEFAULT_COMMENTS }), resolve: (d, _a, ctx, info) => served(ctx, info, d.comments) }),
    nps: t.field({ type: NpsScoreRef, nullable: true, resolve: (d, _a, ctx, info) => served(ctx, info, d.nps) }),
    degraded: t.field({
      type: ['String'],
      description: 'Services whose part failed (served stale or null); not parts that are merely empty.',
      extensions: listSize({ estimate: SERVICE_NAMES.length }),
      resolve: (d): ServiceName[] => d.degraded,
    }),
    generatedAt: t.exposeString('generatedAt', { description: 'When the gateway assembled this dashboard (ISO-8601 UTC).' }),
  }),
});

builder.queryField('userDashboard', (t) =>
  t.field({
    type: UserDashboardRef,
    nullable: true,
    description: 'The dashboard of one user: the user first, then industry, recent jobs, comments and NPS in parallel. A `user` may read only their own.',
    authScopes: { authenticated: true },
    extensions: { responseCache: true },
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (_root, { userId }, ctx, info) => served(ctx, info, await loadDashboard(ctx, String(userId))),
  }),
);
