import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayCache } from '../cache/index.js';
import type { ServiceName } from '../config/index.js';
import type { BreakerState, ServiceBreaker } from '../resilience/index.js';
import type { UpstreamCallEvent } from '../upstreams/index.js';

/** The numeric value of `gateway_circuit_breaker_state` (Grafana value mappings: 0 closed, 1 half-open, 2 open). */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = Object.freeze({ CLOSED: 0, HALF_OPEN: 1, OPEN: 2 });

/** Sync states of `gateway.md`, best to worst; `gateway_sync_state` is one-hot over them. */
export const SYNC_STATES = ['in_sync', 'unknown', 'out_of_sync', 'unreachable', 'warning', 'critical'] as const;

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A per-service sync view the metrics can read at scrape time (provided by the sync monitor, when there is one). */
export type SyncStateSource = () => ReadonlyArray<{ name: string; state: string }>;

/** What `/api/gateway/stats` reports about requests (cumulative since start). */
export interface RequestStats {
  total: number;
  /** `"<METHOD> <route>"` → status code → count. */
  byRoute: Record<string, Record<string, number>>;
  byStatus: Record<string, number>;
  dashboards: { whole: number; degraded: number };
  graphqlOperations: Record<string, number>;
  /** GraphQL requests answered from the response cache (`hits`) or looked up there in vain. */
  responseCache: { hits: number; misses: number };
}

export interface GatewayMetricsOptions {
  /** Collect Node.js process metrics (`process_*`, `nodejs_*`). Default true. */
  defaultMetrics?: boolean;
  /** Distinct GraphQL operation names with series of their own (`METRICS_MAX_OPERATION_NAMES`); later ones are `other`. Default 100. */
  maxOperationNames?: number;
}

/** The label value every value past a label's bound, or not of its expected shape, shares. */
export const OTHER_LABEL = 'other';

/**
 * A label whose values come, even indirectly, from clients: the first `max` distinct values of
 * the expected shape keep series of their own, every other one is `other`. Without it each new
 * value adds series to every scrape for the life of the process. Hand-written: prom-client has
 * no cardinality bound of its own.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();

  constructor(
    readonly max: number,
    private readonly shape: RegExp,
  ) {}

  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max || !this.shape.test(value)) return OTHER_LABEL;
    this.#seen.add(value);
    return value;
  }
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription', 'unknown']);
/** A GraphQL name (the spec's), at most 64 characters. */
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A route pattern or upstream path as the gateway writes them. */
const ROUTE = /^[A-Za-z0-9/_:*.@-]{1,128}$/;

/**
 * The Prometheus metrics of one gateway (prom-client), in a registry of its own so several
 * gateways can live in one process (tests). Counters move with traffic; breaker, cache and
 * sync values are read when Prometheus scrapes, so they are never out of date.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly #httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly #graphqlOperations: Counter<'operation_name' | 'operation_type' | 'result'>;
  readonly #graphqlDuration: Histogram<'operation_name' | 'operation_type'>;
  readonly #upstreamRequests: Counter<'service' | 'method' | 'route' | 'status'>;
  readonly #upstreamDuration: Histogram<'service' | 'method' | 'route' | 'status'>;
  readonly #breakerTransitions: Counter<'service' | 'from' | 'to'>;
  readonly #breakerRejections: Counter<'service'>;
  readonly #dashboards: Counter<'result'>;
  readonly #responseCache: Counter<'result'>;
  readonly #requestStats: RequestStats = {
    total: 0,
    byRoute: {},
    byStatus: {},
    dashboards: { whole: 0, degraded: 0 },
    graphqlOperations: {},
    responseCache: { hits: 0, misses: 0 },
  };
  readonly #breakers = new Map<string, ServiceBreaker>();
  #cache: GatewayCache | undefined;
  #sync: SyncStateSource | undefined;
  #redisWait: Histogram | undefined;
  readonly #startedAt = performance.now();
  readonly #operationNames: BoundedLabel;
  // Route patterns and upstream paths are the gateway's own, a few dozen; bounded all the same.
  readonly #routes = new BoundedLabel(200, ROUTE);
  readonly #upstreamRoutes = new BoundedLabel(200, ROUTE);
  readonly #upstreamLabels = new Map<string, Readonly<Record<'service' | 'method' | 'route' | 'status', string>>>();

  constructor(opts: GatewayMetricsOptions = {}) {
    this.#operationNames = new BoundedLabel(opts.maxOperationNames ?? 100, OPERATION_NAME);
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.#httpRequests = new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered by the gateway, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response headers.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#graphqlOperations = new Counter({
      name: 'gateway_graphql_operations_total',
      help: 'GraphQL operations executed, by operation name, type and result (ok, error: some field failed).',
      labelNames: ['operation_name', 'operation_type', 'result'],
      registers,
    });
    this.#graphqlDuration = new Histogram({
      name: 'gateway_graphql_operation_duration_seconds',
      help: 'Execution time of GraphQL operations.',
      labelNames: ['operation_name', 'operation_type'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#upstreamRequests = new Counter({
      name: 'gateway_upstream_requests_total',
      help: 'Calls to upstream services (each retry counts), by service, method, route and status (a code, error, timeout or rejected).',
      labelNames: ['service', 'method', 'route', 'status'],
      registers,
    });
    this.#upstreamDuration = new Histogram({
      name: 'gateway_upstream_request_duration_seconds',
      help: 'Duration of calls to upstream services (until response headers for passthrough).',
      labelNames: ['service', 'method', 'route', 'status'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    const breakers = this.#breakers;
    new Gauge({
      name: 'gateway_circuit_breaker_state',
      help: 'Circuit breaker state per service: 0 closed, 1 half-open, 2 open.',
      labelNames: ['service'],
      registers,
      collect() {
        for (const [service, breaker] of breakers) this.set({ service }, BREAKER_STATE_VALUE[breaker.state]);
      },
    });
    new Gauge({
      name: 'gateway_circuit_breaker_forced',
      help: 'Circuit breaker held open by an admin (openBreaker) until reset: 1 forced, 0 not.',
      labelNames: ['service'],
      registers,
      collect() {
        for (const [service, breaker] of breakers) this.set({ service }, breaker.forced ? 1 : 0);
      },
    });
    this.#breakerTransitions = new Counter({
      name: 'gateway_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes per service.',
      labelNames: ['service', 'from', 'to'],
      registers,
    });
    this.#breakerRejections = new Counter({
      name: 'gateway_circuit_breaker_rejections_total',
      help: 'Calls refused without reaching the service because its breaker was open.',
      labelNames: ['service'],
      registers,
    });
    // prom-client calls `collect` with the metric as `this`; these arrows reach the gateway's side.
    const cacheOf = () => this.#cache;
    const syncOf = () => this.#sync;
    // The cache keeps its own cumulative counters; these follow them at scrape time.
    const cacheCounter = (name: string, help: string, read: (c: GatewayCache) => number) => {
      let seen = 0;
      return new Counter({
        name,
        help,
        registers,
        collect() {
          const cache = cacheOf();
          if (!cache) return;
          const now = read(cache);
          if (now > seen) this.inc(now - seen);
          seen = Math.max(seen, now);
        },
      });
    };
    cacheCounter('gateway_cache_hits_total', 'Cache lookups answered by a fresh entry.', (c) => c.stats.hits);
    cacheCounter('gateway_cache_misses_total', 'Cache lookups that found nothing or only a stale entry.', (c) => c.stats.misses);
    new Gauge({
      name: 'gateway_cache_keys',
      help: 'Entries held by the cache (approximate with Redis).',
      registers,
      collect() {
        const cache = cacheOf();
        if (cache) this.set(cache.stats.keys);
      },
    });
    new Gauge({
      name: 'gateway_sync_state',
      help: 'Shared knowledge sync state per service: 1 for the current state, 0 for the others.',
      labelNames: ['service', 'state'],
      registers,
      collect() {
        const services = syncOf()?.() ?? [];
        this.reset();
        for (const s of services) for (const state of SYNC_STATES) this.set({ service: s.name, state }, s.state === state ? 1 : 0);
      },
    });
    this.#dashboards = new Counter({
      name: 'gateway_dashboards_total',
      help: 'User dashboards served, whole or degraded (some part failed).',
      labelNames: ['result'],
      registers,
    });
    this.#responseCache = new Counter({
      name: 'gateway_graphql_response_cache_total',
      help: 'GraphQL requests looked up in the response cache: answered from it (hit) or not (miss).',
      labelNames: ['result'],
      registers,
    });
  }

  /** Follows a breaker: its state gauge, transitions and rejections. */
  watchBreaker(service: ServiceName, breaker: ServiceBreaker): void {
    this.#breakers.set(service, breaker);
    const transition = ({ from, to }: { from: BreakerState; to: BreakerState }) => this.#breakerTransitions.inc({ service, from, to });
    breaker.on('open', transition);
    breaker.on('halfOpen', transition);
    breaker.on('close', transition);
    breaker.on('reject', () => this.#breakerRejections.inc({ service }));
  }

  watchCache(cache: GatewayCache): void {
    this.#cache = cache;
  }

  watchSync(source: SyncStateSource): void {
    this.#sync = source;
  }

  /** `gateway_subscriptions_open`: GraphQL subscriptions this replica serves now. */
  watchSubscriptions(open: () => number): void {
    new Gauge({
      name: 'gateway_subscriptions_open',
      help: 'GraphQL subscriptions (serviceEvents) open on this replica now; at most GRAPHQL_MAX_SUBSCRIPTIONS.',
      registers: [this.registry],
      collect() {
        this.set(open());
      },
    });
  }

  /** With `REDIS_URL`: the `gateway_redis_up` gauge follows Redis's state (`/health/ready`'s `redis`). */
  watchRedis(state: () => 'up' | 'down'): void {
    new Gauge({
      name: 'gateway_redis_up',
      help: 'Redis as this replica sees it: 1 up, 0 down (serving without the shared cache). Only with REDIS_URL.',
      registers: [this.registry],
      collect() {
        this.set(state() === 'up' ? 1 : 0);
      },
    });
  }

  /** With `REDIS_URL`: how long each request-path Redis command waited (the breaker reports it). */
  recordRedisWait(seconds: number): void {
    (this.#redisWait ??= new Histogram({
      name: 'gateway_redis_wait_seconds',
      help: 'How long each cache, rate-limit or persisted-query command waited on Redis, answered or cut off by the breaker (none while Redis is known down). Only with REDIS_URL.',
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1],
      registers: [this.registry],
    })).observe(seconds);
  }

  /** One answered HTTP request. `route` is the route pattern (bounded cardinality), never the raw URL. */
  recordHttpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    method = HTTP_METHODS.has(method) ? method : OTHER_LABEL;
    route = this.#routes.of(route);
    const labels = { method, route, status_code: String(statusCode) };
    this.#httpRequests.inc(labels);
    this.#httpDuration.observe(labels, seconds);
    const stats = this.#requestStats;
    stats.total++;
    const key = `${method} ${route}`;
    const byStatus = (stats.byRoute[key] ??= {});
    byStatus[labels.status_code] = (byStatus[labels.status_code] ?? 0) + 1;
    stats.byStatus[labels.status_code] = (stats.byStatus[labels.status_code] ?? 0) + 1;
  }

  /** One executed operation; `name` is the client's, so only the first names seen get series of their own. */
  recordGraphQLOperation(name: string, type: string, ok: boolean, seconds: number): void {
    name = name === 'anonymous' ? name : this.#operationNames.of(name);
    type = OPERATION_TYPES.has(type) ? type : OTHER_LABEL;
    this.#graphqlOperations.inc({ operation_name: name, operation_type: type, result: ok ? 'ok' : 'error' });
    this.#graphqlDuration.observe({ operation_name: name, operation_type: type }, seconds);
    const key = `${type} ${name}`;
    this.#requestStats.graphqlOperations[key] = (this.#requestStats.graphqlOperations[key] ?? 0) + 1;
  }

  /** One upstream call (wired as `Upstreams`' `onCall`, and by passthrough). */
  recordUpstreamCall(event: Pick<UpstreamCallEvent, 'service' | 'method' | 'route' | 'status' | 'durationMs'>): void {
    // Every upstream attempt passes here: the same call gets the same labels object (a bounded
    // set: 4 services, 7 methods, at most 200 routes), not a new one and a route split per call.
    const key = `${event.service} ${event.method} ${event.route} ${event.status}`;
    let labels = this.#upstreamLabels.get(key);
    if (!labels) {
      labels = {
        service: event.service,
        method: HTTP_METHODS.has(event.method) ? event.method : OTHER_LABEL,
        route: this.#upstreamRoutes.of(upstreamRouteLabel(event.route)),
        status: String(event.status),
      };
      // Raw routes carry ids (passthrough's `/api/users/u42`): the memo forgets rather than grows.
      if (this.#upstreamLabels.size >= 2000) this.#upstreamLabels.clear();
      this.#upstreamLabels.set(key, labels);
    }
    this.#upstreamRequests.inc(labels);
    this.#upstreamDuration.observe(labels, event.durationMs / 1000);
  }

  recordDashboard(degraded: boolean): void {
    this.#dashboards.inc({ result: degraded ? 'degraded' : 'whole' });
    if (degraded) this.#requestStats.dashboards.degraded++;
    else this.#requestStats.dashboards.whole++;
  }

  /** A response-cache lookup of a GraphQL request. */
  recordResponseCache(result: 'hit' | 'miss'): void {
    this.#responseCache.inc({ result });
    if (result === 'hit') this.#requestStats.responseCache.hits++;
    else this.#requestStats.responseCache.misses++;
  }

  /** Seconds since this gateway was built. */
  get uptimeSeconds(): number {
    return Math.round((performance.now() - this.#startedAt) / 10) / 100;
  }

  /** A copy of the request counters for `/api/gateway/stats`. */
  get requests(): RequestStats {
    return structuredClone(this.#requestStats);
  }

  /** The Prometheus text exposition and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * Upstream paths carry ids (`/api/users/u17`); a segment with a digit in it becomes `:id` so
 * the label set stays bounded. Route patterns (`/api/comments/*`) pass unchanged.
 */
export function upstreamRouteLabel(path: string): string {
  return path
    .split('/')
    .map((segment) => (/\d/.test(segment) ? ':id' : segment))
    .join('/');
}
