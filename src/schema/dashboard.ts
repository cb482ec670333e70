import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import { loadDashboard, type Dashboard, type Part } from '../orchestration/dashboard.js';
import { builder } from './builder.js';
import { CommentRef } from './comment.js';
import { listSize } from './cost.js';
import { pathOf } from './field-helpers.js';
import { DEFAULT_JOBS, IndustryRef, JobRef } from './industry.js';
import { NpsScoreRef } from './nps.js';
import { DEFAULT_COMMENTS, UserRef } from './user.js';

/** A part resolves to its value (stale ones recorded), or throws the failure that emptied it. */
function part<T>(p: Part<T>) {
  return (_d: Dashboard, _a: unknown, ctx: { stale: Set<string> }, info: Parameters<typeof pathOf>[0]): T | null => {
    if (p.stale) ctx.stale.add(pathOf(info));
    if (p.error && p.value === null) throw p.error;
    return p.value;
  };
}

const UserDashboardRef = builder.objectRef<Dashboard>('UserDashboard').implement({
  description: 'Everything a frontend shows for one user, from all four services in one query.',
  fields: (t) => ({
    user: t.field({
      type: UserRef,
      resolve: (d, _a, ctx, info) => {
        if (d.stale.includes('user')) ctx.stale.add(pathOf(info));
        return d.user;
      },
    }),
    industry: t.field({ type: IndustryRef, nullable: true, resolve: (d, a, c, i) => part(d.industry)(d, a, c, i) }),
    recentJobs: t.field({ type: [JobRef], nullable: true, description: 'The 5 newest jobs of the user’s industry.', extensions: listSize({ estimate: DEFAULT_JOBS }), resolve: (d, a, c, i) => part(d.recentJobs)(d, a, c, i) }),
    comments: t.field({ type: [CommentRef], nullable: true, description: 'The 10 newest comments.', extensions: listSize({ estimate: DEFAULT_COMMENTS }), resolve: (d, a, c, i) => part(d.comments)(d, a, c, i) }),
    nps: t.field({ type: NpsScoreRef, nullable: true, resolve: (d, a, c, i) => part(d.nps)(d, a, c, i) }),
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
    resolve: (_root, { userId }, ctx) => loadDashboard(ctx, String(userId)),
  }),
);
