import type { Industry, Job } from '../upstreams/index.js';
import { builder } from './builder.js';
import { listSize } from './cost.js';
import { listLimit, MAX_LIST_LIMIT, served } from './field-helpers.js';

export const DEFAULT_JOBS = 5;

export const IndustryRef = builder.objectRef<Industry>('Industry');
export const JobRef = builder.objectRef<Job>('Job');

IndustryRef.implement({
  description: 'An industry (industry service).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    sector: t.exposeString('sector'),
    recentJobs: t.field({
      type: [JobRef],
      nullable: true,
      description: `Newest jobs first; limit defaults to ${DEFAULT_JOBS}, at most 100.`,
      extensions: listSize({ arg: 'limit', default: DEFAULT_JOBS, max: MAX_LIST_LIMIT }),
      args: { limit: t.arg.int({ required: false }) },
      resolve: async (industry, { limit }, ctx, info) =>
        served(ctx, info, await ctx.loaders.jobs.load({ id: industry.id, limit: listLimit(limit, DEFAULT_JOBS) })),
    }),
  }),
});

JobRef.implement({
  description: 'A recently posted job (industry service).',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    company: t.exposeString('company'),
    postedAt: t.exposeString('postedAt', { description: 'ISO-8601 UTC.' }),
    industry: t.field({
      type: IndustryRef,
      nullable: true,
      resolve: async (job, _args, ctx, info) => served(ctx, info, await ctx.loaders.industry.load(job.industryId)),
    }),
  }),
});

builder.queryField('industries', (t) =>
  t.field({
    type: [IndustryRef],
    description: 'Every industry.',
    // Unbounded by any argument: a generous ceiling (the reference data has 12).
    extensions: { ...listSize({ estimate: 50 }), responseCache: true },
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx, info) => served(ctx, info, await ctx.services.upstreams.industry.all(ctx.call)) ?? [],
  }),
);
