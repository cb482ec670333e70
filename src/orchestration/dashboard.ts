import type { CacheKey } from '../cache/index.js';
import { assertCanReadUser } from '../auth/index.js';
import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import type { RequestContext } from '../context/index.js';
import { GatewayError, errorMessages } from '../errors/index.js';
import {
  readThrough,
  valueOf,
  type Comment,
  type Industry,
  type Job,
  type NpsScore,
  type Read,
  type ServiceVersions,
  type User,
} from '../upstreams/index.js';

/** Dashboard list sizes (`gateway.md`). */
export const DASHBOARD_COMMENTS = 10;
export const DASHBOARD_JOBS = 5;

/**
 * The parts are the reads they were built from (value, stale, error), without their own
 * freshness: a dashboard's read carries that for all of them.
 */
export interface Dashboard {
  user: Read<User>;
  industry: Read<Industry | null>;
  recentJobs: Read<Job[] | null>;
  comments: Read<Comment[] | null>;
  nps: Read<NpsScore | null>;
  /** Services whose part failed (stale stand-in or not). */
  degraded: ServiceName[];
  /** Parts served from a stale cache entry. */
  stale: PartName[];
  generatedAt: string;
}

type PartName = 'user' | 'industry' | 'recentJobs' | 'comments' | 'nps';
const SERVICE_OF = {
  user: 'auth',
  industry: 'industry',
  recentJobs: 'industry',
  comments: 'comment',
  nps: 'nps',
} as const satisfies Record<PartName, ServiceName>;

function dashboardKey(versions: ServiceVersions, userId: string): CacheKey {
  return { kind: 'dashboard', id: userId, deps: SERVICE_NAMES.map((service) => ({ service, version: versions.get(service) })) };
}

/**
 * The dashboard of one user, read through the cache like any other entry: fresh for the
 * dashboard TTL, and never fresher than the parts it was built from. Built from the user
 * first (its industry id is needed), then industry, recent jobs, comments and NPS in
 * parallel. A failed part never fails the dashboard; an unknown user is `NOT_FOUND`, and a
 * user that cannot be loaded at all is the auth service's `SERVICE_UNAVAILABLE` /
 * `UPSTREAM_TIMEOUT`. Degraded dashboards are never cached.
 */
export async function loadDashboard(ctx: RequestContext, userId: string): Promise<Read<Dashboard>> {
  if (!ctx.services.config.orchestration.enabled) {
    throw new GatewayError('FEATURE_DISABLED', { message: 'Dashboard orchestration is switched off (FEATURE_ORCHESTRATION=false).' });
  }
  assertCanReadUser(ctx.principal, userId);
  const { cache, versions } = ctx.services.upstreams;
  let built = false;
  let partsFreshUntil = Infinity;
  const [read] = await readThrough<Dashboard>({
    cache,
    keys: [userId],
    cacheKey: () => dashboardKey(versions, userId),
    ttlMs: ctx.services.config.cache.ttl.dashboard,
    // A stale dashboard is never served: a failing service is answered by the per-part stale entries.
    keepStale: false,
    cacheable: (d) => d !== null && d.degraded.length === 0,
    ingredientsFreshUntil: () => partsFreshUntil,
    fetch: async () => {
      built = true;
      const assembled = await assemble(ctx, userId);
      partsFreshUntil = assembled.freshUntil;
      return new Map([[userId, assembled.dashboard]]);
    },
  });
  const dashboard = valueOf(read!);
  if (dashboard === null) throw new GatewayError('INTERNAL_SERVER_ERROR', { message: 'The dashboard could not be assembled.' });
  // Operators' view (`gateway_dashboards_total`, `/api/gateway/stats`): served whole or degraded.
  ctx.services.metrics.recordDashboard(built && dashboard.degraded.length > 0);
  return read as Read<Dashboard>;
}

async function assemble(ctx: RequestContext, userId: string): Promise<{ dashboard: Dashboard; freshUntil: number }> {
  const { loaders } = ctx;
  const user = await loaders.user.load(userId);
  const found = valueOf(user);
  if (!found) throw new GatewayError('NOT_FOUND', { message: errorMessages.userNotFound(userId) });

  const industryId = found.industryId;
  const [industry, recentJobs, comments, nps] = await Promise.all([
    industryId ? loaders.industry.load(industryId) : Promise.resolve<Read<Industry | null>>({ value: null, stale: false }),
    industryId
      ? loaders.jobs.load({ id: industryId, limit: DASHBOARD_JOBS })
      : Promise.resolve<Read<Job[] | null>>({ value: [], stale: false }),
    loaders.comments.load({ id: userId, limit: DASHBOARD_COMMENTS }),
    loaders.nps.load(userId),
  ]);

  const reads = { user: user as Read<User>, industry, recentJobs, comments, nps };
  const degraded = new Set<ServiceName>();
  const stale: PartName[] = [];
  let freshUntil = Infinity;
  for (const [name, read] of Object.entries(reads) as Array<[PartName, Read<unknown>]>) {
    if (read.error) degraded.add(SERVICE_OF[name]);
    if (read.stale) stale.push(name);
    freshUntil = Math.min(freshUntil, read.freshUntil ?? Infinity);
  }
  const dashboard: Dashboard = {
    user: part(reads.user),
    industry: part(industry),
    recentJobs: part(recentJobs),
    comments: part(comments),
    nps: part(nps),
    degraded: SERVICE_NAMES.filter((s) => degraded.has(s)),
    stale,
    generatedAt: new Date().toISOString(),
  };
  return { dashboard, freshUntil };
}

/** A read kept as a part: its freshness is the dashboard's from now on. */
function part<T>(read: Read<T>): Read<T> {
  return read.error ? { value: read.value, stale: read.stale, error: read.error } : { value: read.value, stale: read.stale };
}
