import type { CacheKey } from '../cache/index.js';
import { assertCanReadUser } from '../auth/index.js';
import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import type { RequestContext } from '../context/index.js';
import { GatewayError } from '../errors/index.js';
import type { Comment, Fetched, Industry, Job, NpsScore, User } from '../upstreams/index.js';

/** Dashboard list sizes (`gateway.md`). */
export const DASHBOARD_COMMENTS = 10;
export const DASHBOARD_JOBS = 5;

/** One part of a dashboard: its value, or the failure that left it empty. */
export interface Part<T> {
  value: T | null;
  /** The service failed; `value` is then its stale cached value, or null. */
  error?: GatewayError;
  stale?: boolean;
}

export interface Dashboard {
  user: User;
  industry: Part<Industry>;
  recentJobs: Part<Job[]>;
  comments: Part<Comment[]>;
  nps: Part<NpsScore>;
  /** Services whose part failed (stale stand-in or not). */
  degraded: ServiceName[];
  /** Parts served from a stale cache entry. */
  stale: Array<'user' | 'industry' | 'recentJobs' | 'comments' | 'nps'>;
  generatedAt: string;
}

function dashboardKey(ctx: RequestContext, userId: string): CacheKey {
  const versions = ctx.services.upstreams.versions;
  return { kind: 'dashboard', id: userId, deps: SERVICE_NAMES.map((service) => ({ service, version: versions.get(service) })) };
}

async function settle<T>(load: Promise<Fetched<T | null>>): Promise<Part<T>> {
  try {
    const r = await load;
    return r.stale ? { value: r.value, stale: true, error: r.error } : { value: r.value };
  } catch (err) {
    return { value: null, error: err instanceof GatewayError ? err : new GatewayError('INTERNAL_SERVER_ERROR', { cause: err }) };
  }
}

/**
 * The dashboard of one user: the user first (its industry id is needed), then industry,
 * recent jobs, comments and NPS in parallel. A failed part never fails the dashboard; an
 * unknown user is `NOT_FOUND`, and a user that cannot be loaded at all is the auth
 * service's `SERVICE_UNAVAILABLE` / `UPSTREAM_TIMEOUT`. Whole dashboards are cached for
 * the dashboard TTL, degraded ones never.
 */
export async function loadDashboard(ctx: RequestContext, userId: string): Promise<Dashboard> {
  if (!ctx.services.config.orchestration.enabled) {
    throw new GatewayError('FEATURE_DISABLED', { message: 'Dashboard orchestration is switched off (FEATURE_ORCHESTRATION=false).' });
  }
  assertCanReadUser(ctx.principal, userId);
  const { cache } = ctx.services.upstreams;
  const cached = await cache.get<Dashboard>(dashboardKey(ctx, userId));
  if (cached.status === 'fresh') {
    ctx.call.cacheHint?.freshUntil(cached.freshUntil);
    ctx.services.metrics?.recordDashboard(false);
    return cached.value;
  }

  const { loaders } = ctx;
  const userResult = await loaders.user.load(userId);
  const user = userResult.value;
  if (!user) throw new GatewayError('NOT_FOUND', { message: `User ${userId} does not exist.` });

  const industryId = user.industryId;
  const [industry, recentJobs, comments, nps] = await Promise.all([
    industryId ? settle(loaders.industry.load(industryId)) : Promise.resolve<Part<Industry>>({ value: null }),
    industryId ? settle(loaders.jobs.load({ id: industryId, limit: DASHBOARD_JOBS })) : Promise.resolve<Part<Job[]>>({ value: [] }),
    settle(loaders.comments.load({ id: userId, limit: DASHBOARD_COMMENTS })),
    settle(loaders.nps.load(userId)),
  ]);

  const parts = { industry, recentJobs, comments, nps };
  const degraded = new Set<ServiceName>();
  const stale: Dashboard['stale'] = [];
  if (userResult.stale) {
    degraded.add('auth');
    stale.push('user');
  }
  const serviceOf = { industry: 'industry', recentJobs: 'industry', comments: 'comment', nps: 'nps' } as const;
  for (const [name, part] of Object.entries(parts) as Array<[keyof typeof parts, Part<unknown>]>) {
    if (part.error) degraded.add(serviceOf[name]);
    if (part.stale) stale.push(name);
  }

  const dashboard: Dashboard = {
    user,
    ...parts,
    degraded: SERVICE_NAMES.filter((s) => degraded.has(s)),
    stale,
    generatedAt: new Date().toISOString(),
  };
  if (dashboard.degraded.length === 0) {
    const ttl = ctx.services.config.cache.ttl.dashboard;
    await cache.set(dashboardKey(ctx, userId), dashboard, ttl);
    ctx.call.cacheHint?.freshUntil(cache.now() + ttl);
  } else {
    ctx.call.cacheHint?.uncacheable();
  }
  // Operators' view (`gateway_dashboards_total`, `/api/gateway/stats`): served whole or degraded.
  ctx.services.metrics?.recordDashboard(dashboard.degraded.length > 0);
  return dashboard;
}
