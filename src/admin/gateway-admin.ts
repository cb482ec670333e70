import { SERVICE_NAMES, isServiceName, type ServiceName } from '../config/index.js';
import type { GatewayServices } from '../context/index.js';
import { GatewayError } from '../errors/index.js';
import type { CacheClearResult } from '../cache/index.js';
import type { BreakerStats } from '../resilience/index.js';
import type { RequestStats } from '../observability/metrics.js';

/**
 * The operator's view of the gateway, shared by the REST inspection/admin routes and their
 * GraphQL twins so both always say the same thing.
 */

/** `ServiceSync` of `gateway.md`, as the sync monitor reports it. */
export interface ServiceSyncView {
  name: string;
  version: string | null;
  expectedVersion: string;
  state: string;
  outOfSyncSince: string | null;
  lastUpdated: string | null;
  lastCheckedAt: string | null;
  error: string | null;
}

/** What the inspection needs of the sync monitor (`services.sync`, when sync monitoring is built in). */
export interface SyncMonitorView {
  serviceSync(name: string): ServiceSyncView | null;
  healthy(name: string): boolean | null;
}

export function syncMonitorOf(services: GatewayServices): SyncMonitorView | undefined {
  const sync = (services as GatewayServices & { sync?: Partial<SyncMonitorView> | null }).sync;
  return sync && typeof sync.serviceSync === 'function' && typeof sync.healthy === 'function' ? (sync as SyncMonitorView) : undefined;
}

export interface ServiceView {
  name: ServiceName;
  url: string;
  /** `/health` answered 2xx at the last check and the breaker is not open. */
  healthy: boolean;
  /** The last health check's verdict alone (null: not known yet). */
  health: boolean | null;
  breaker: BreakerStats;
  sync: ServiceSyncView | null;
}

export interface GatewayStatsView {
  /** Which gateway process answers (its breakers are its own view of its own calls). */
  replica: string;
  uptimeSeconds: number;
  breakers: Record<ServiceName, BreakerStats>;
  cache: { hits: number; misses: number; keys: number; hitRate: number };
  orchestration: { dashboards: { whole: number; degraded: number; total: number } };
  requests: RequestStats | null;
}

/** A service name from a client: `400`/`BAD_USER_INPUT` for anything that is not one of the four. */
export function assertServiceName(value: unknown, code: 'BAD_REQUEST' | 'BAD_USER_INPUT'): ServiceName {
  if (isServiceName(value)) return value;
  throw new GatewayError(code, {
    message: `Unknown service ${JSON.stringify(typeof value === 'string' ? value.slice(0, 64) : (value ?? null))}; expected one of ${SERVICE_NAMES.join(', ')}.`,
    details: { services: [...SERVICE_NAMES] },
  });
}

/**
 * One service. `health` comes from the sync monitor's last check when there is one, else from
 * `probe` (a live `/health` check), else stays unknown.
 */
export function serviceView(services: GatewayServices, name: ServiceName, probed?: boolean | null): ServiceView {
  const client = services.upstreams.clients[name];
  const breaker = client.breaker.stats;
  const monitor = syncMonitorOf(services);
  const health = monitor?.healthy(name) ?? probed ?? null;
  return {
    name,
    url: client.baseUrl,
    healthy: health !== false && breaker.state !== 'OPEN',
    health,
    breaker,
    sync: monitor?.serviceSync(name) ?? null,
  };
}

type HealthVerdicts = Partial<Record<ServiceName, boolean>>;

/** The last live health check of one gateway, and the one in progress. */
interface HealthSnapshot {
  /** When the last check began (monotonic ms). */
  startedAt: number;
  verdicts: HealthVerdicts;
  refreshing?: Promise<HealthVerdicts>;
}

// Per gateway (tests run several in one process); goes with it.
const healthSnapshots = new WeakMap<GatewayServices, HealthSnapshot>();

/**
 * Health of every service the sync monitor has no verdict on (all of them when sync
 * monitoring is off). `/health/services` is anonymous, so a request must not turn into calls
 * to every backend: the answer is the last known state, checked again at most once per
 * `SYNC_CHECK_INTERVAL`, and concurrent callers share that one check.
 */
export async function probeHealth(services: GatewayServices, requestId: string, timeoutMs = 2000): Promise<HealthVerdicts> {
  const monitor = syncMonitorOf(services);
  const unknown = SERVICE_NAMES.filter((name) => (monitor?.healthy(name) ?? null) === null);
  if (unknown.length === 0) return {};
  const snapshot = healthSnapshots.get(services);
  if (snapshot?.refreshing) return snapshot.refreshing;
  const now = performance.now();
  if (snapshot && now - snapshot.startedAt < services.config.sync.checkIntervalMs && unknown.every((name) => name in snapshot.verdicts)) {
    return snapshot.verdicts;
  }
  const next: HealthSnapshot = { startedAt: now, verdicts: snapshot?.verdicts ?? {} };
  next.refreshing = checkHealth(services, unknown, requestId, timeoutMs).then((verdicts) => {
    next.verdicts = verdicts;
    next.refreshing = undefined;
    return verdicts;
  });
  healthSnapshots.set(services, next);
  return next.refreshing;
}

/** `GET /health` of each of `names`, in parallel, each bounded by `timeoutMs`; never rejects. */
async function checkHealth(services: GatewayServices, names: ServiceName[], requestId: string, timeoutMs: number): Promise<HealthVerdicts> {
  const out: HealthVerdicts = {};
  await Promise.all(
    names.map(async (name) => {
      const client = services.upstreams.clients[name];
      try {
        // The one client pipeline, as the sync monitor's checks: signed, traced, counted; no breaker, no retry.
        out[name] = await client.request({
          method: 'GET',
          pathWithQuery: '/health',
          ctx: { requestId },
          breaker: false,
          retries: 0,
          observeVersion: false,
          timeoutMs,
          read: async (res) => {
            await res.body.dump();
            return res.statusCode >= 200 && res.statusCode < 300;
          },
        });
      } catch {
        out[name] = false;
      }
    }),
  );
  return out;
}

export function gatewayStats(services: GatewayServices): GatewayStatsView {
  const uptimeSeconds = services.metrics.uptimeSeconds;
  const breakers = Object.fromEntries(SERVICE_NAMES.map((name) => [name, services.upstreams.clients[name].breaker.stats])) as Record<
    ServiceName,
    BreakerStats
  >;
  const cache = services.upstreams.cache.stats;
  const requests = services.metrics.requests;
  const dashboards = requests.dashboards;
  return {
    replica: services.config.replicaId,
    uptimeSeconds,
    breakers,
    cache: { hits: cache.hits, misses: cache.misses, keys: cache.keys, hitRate: cache.hitRate },
    orchestration: { dashboards: { ...dashboards, total: dashboards.whole + dashboards.degraded } },
    requests,
  };
}

/** Admin: closes one breaker now. */
export function resetBreaker(services: GatewayServices, name: ServiceName): ServiceView {
  const client = services.upstreams.clients[name];
  client.breaker.reset();
  services.logger.info({ service: name, replica: services.config.replicaId }, 'circuit breaker reset by an admin');
  return serviceView(services, name);
}

/**
 * Admin: forces one breaker open (maintenance) until `resetBreaker`: its calls fail fast with
 * `SERVICE_UNAVAILABLE` and no half-open trial call is made; sync health probes go on.
 */
export function openBreaker(services: GatewayServices, name: ServiceName): ServiceView {
  const client = services.upstreams.clients[name];
  client.breaker.forceOpen();
  services.logger.warn({ service: name, replica: services.config.replicaId }, 'circuit breaker forced open by an admin');
  return serviceView(services, name);
}

/** What an admin cache clear did, tier by tier (REST body; GraphQL `extensions.cacheClear`). */
export interface CacheClearReport extends CacheClearResult {
  /** Said plainly when part of the clear could not be done. */
  message?: string;
}

/**
 * Admin: empties the cache, or only what was cached from one service's answers, and tells every
 * replica (the cluster bus) to drop its in-process tier too. While Redis is down the shared tier
 * cannot be cleared: this replica's tier is, and the report says what was not.
 */
export async function clearCache(services: GatewayServices, name?: ServiceName): Promise<CacheClearReport> {
  let result: CacheClearResult;
  try {
    result = await services.upstreams.cache.clearAll(name);
  } catch (err) {
    throw new GatewayError('SERVICE_UNAVAILABLE', { message: 'The cache store could not be cleared; nothing was removed.', cause: err });
  }
  const { config, events, logger } = services;
  events.pubsub.publish('cache-invalidations', { service: name ?? null, replica: config.replicaId, at: new Date().toISOString() });
  services.serviceEvents.publish({ type: 'cache', service: name ?? null, from: null, to: null });
  if (result.shared !== 'unreachable') {
    logger.info({ service: name ?? 'all', removed: result.removed }, 'cache cleared by an admin');
    return result;
  }
  logger.warn({ service: name ?? 'all', ...result }, 'cache clear by an admin: Redis unreachable, shared tier not cleared');
  return {
    ...result,
    message:
      `Redis is unreachable: the shared cache was NOT cleared (its entries serve again once Redis is back, unless cleared then); ` +
      `this replica's in-process tier was (${result.local} removed), and the other replicas were asked to drop theirs.`,
  };
}
