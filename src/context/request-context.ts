import type { Logger } from 'pino';
import type { CacheHint, ResponseCache } from '../cache/index.js';
import type { Authenticator, Principal } from '../auth/index.js';
import type { GatewayConfig } from '../config/index.js';
import type { GatewayEventBus } from '../events/index.js';
import type { RateLimits } from '../security/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { GatewayTracing } from '../observability/tracing.js';
import type { SyncMonitor } from '../sync/index.js';
import { createLoaders, type CallContext, type Loaders, type Upstreams } from '../upstreams/index.js';

/** What lives for the whole process and every request may use. Built once in `app.ts`. */
export interface GatewayServices {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly upstreams: Upstreams;
  readonly authenticator: Authenticator;
  /** Every rate limit (per principal, mutations, login per IP), in memory or in Redis. */
  readonly rateLimits: RateLimits;
  /** Prometheus metrics (`/metrics`, `/api/gateway/stats`). */
  readonly metrics: GatewayMetrics;
  /** OpenTelemetry spans of requests, GraphQL operations and upstream calls. */
  readonly tracing?: GatewayTracing;
  /** The shared-knowledge sync monitor (idle when `FEATURE_SYNC_MONITORING=false`). */
  readonly sync: SyncMonitor;
  /** Whole responses of cacheable queries; absent when the cache or `RESPONSE_CACHE_ENABLED` is off. */
  readonly responseCache?: ResponseCache;
  /** The cluster event bus: through Redis pub/sub to every replica with `REDIS_URL`, in process otherwise. */
  readonly events: GatewayEventBus;
}

/** The per-request child logger (Fastify's, carrying the request id). */
export type RequestLogger = Pick<Logger, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>;

/** Per-request state (Pothos convention: loaders live here, never in module scope). */
export interface RequestContext {
  readonly services: GatewayServices;
  readonly principal: Principal | null;
  readonly requestId: string;
  readonly call: CallContext;
  readonly loaders: Loaders;
  readonly log: RequestLogger;
  /** Response paths served from a stale cache entry (`extensions.stale`). */
  readonly stale: Set<string>;
  /** More `extensions` of the response, set by a resolver (the detail of a `clearCache`). */
  extensions?: Record<string, unknown>;
  /** Present when the response may be cached whole: the freshness of what the response was built from. */
  readonly cacheHint?: CacheHint;
}

export interface RequestContextInit {
  principal: Principal | null;
  requestId: string;
  traceparent?: string;
  log?: RequestLogger;
  /** Set when the response may be cached whole: collects the freshness of what is read. */
  cacheHint?: CacheHint;
}

export function createRequestContext(services: GatewayServices, init: RequestContextInit): RequestContext {
  const call: CallContext = {
    requestId: init.requestId,
    traceparent: init.traceparent,
    principal: init.principal,
  };
  let loaders: Loaders | undefined;
  return {
    services,
    principal: init.principal,
    requestId: init.requestId,
    call,
    log: init.log ?? services.logger,
    stale: new Set(),
    cacheHint: init.cacheHint,
    // Created on first use: a request that never reads data never allocates loaders.
    get loaders() {
      return (loaders ??= createLoaders(services.upstreams, call));
    },
  };
}
