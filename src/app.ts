import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Authenticator } from './auth/index.js';
import { GatewayCache, RedisBreaker, ResponseCache } from './cache/index.js';
import { SERVICE_NAMES, type GatewayConfig } from './config/index.js';
import type { GatewayServices } from './context/index.js';
import { createGatewayPubSub, ServiceEvents } from './events/index.js';
import { createGatewayYoga, type GraphiQLDefaults } from './graphql/yoga.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { traceContextOf } from './observability/trace-context.js';
import { RateLimits } from './security/index.js';
import { ServiceVersions, Upstreams, type UpstreamsOptions } from './upstreams/index.js';
import { SyncMonitor, type SyncMonitorOptions } from './sync/index.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** Use this logger instead of building one from config (tests capture logs this way). */
  logger?: Logger;
  graphiql?: GraphiQLDefaults;
  /** A clock for caches and tokens (tests). */
  now?: () => number;
  /** Also export spans here (tests pass an `InMemorySpanExporter`); OTLP export follows `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  spanExporter?: SpanExporter;
  /** How long `close()` lets in-flight requests finish before cutting them off (default `SHUTDOWN_GRACE_PERIOD`). */
  shutdownGraceMs?: number;
  /** Sync monitor test hooks: a manual clock, shorter webhook backoff. */
  sync?: Pick<SyncMonitorOptions, 'clock' | 'webhook'>;
  /** Builds the upstream clients instead of `new Upstreams` (the fast test tier answers them in memory). */
  upstreams?: (options: UpstreamsOptions) => Upstreams;
}

export interface GatewayApp {
  readonly server: FastifyInstance;
  readonly services: GatewayServices;
  readonly config: GatewayConfig;
  /** Listens on config host/port (or the given ones); resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking traffic, lets in-flight requests finish, then closes pools, caches and timers. */
  close(): Promise<void>;
}

/**
 * The composition root: builds every long-lived piece once (logger, cache, version registry,
 * upstream pools and breakers, authenticator, Yoga, Fastify) and wires them together.
 */
export async function createGatewayApp(options: GatewayAppOptions): Promise<GatewayApp> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.log);
  // One breaker around Redis for the replica's every Redis user (cache, persisted operations, rate
  // limits): the first failure stops them all waiting on it; one probe brings them all back.
  const metrics = new GatewayMetrics({ maxOperationNames: config.graphql.maxOperationNames });
  const redisBreaker = config.redisUrl
    ? new RedisBreaker({ logger, replica: config.replicaId, onWait: (seconds) => metrics.recordRedisWait(seconds) })
    : undefined;
  const cache = GatewayCache.create({
    redisBreaker,
    enabled: config.cache.enabled,
    redisUrl: config.redisUrl,
    staleFactor: config.cache.staleFactor,
    memory: { maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes },
    now: options.now,
    logger,
  });
  // A replica starts and serves without Redis (gateway.md, "Running many replicas"): reads go to
  // the services and /health/ready says "down" until node-redis reconnects by itself.
  await cache.ready().catch((err: unknown) => logger.warn({ err }, 'Redis is not reachable: serving without the shared cache until it is'));
  // The cluster bus (service events, cache invalidations): through Redis pub/sub to every replica with REDIS_URL.
  const events = createGatewayPubSub({ redisUrl: config.redisUrl, logger });
  const versions = new ServiceVersions(options.now);
  // Spans only when something receives them: without an exporter they were pure overhead
  // (~2.5 % of a request). W3C trace context is propagated either way (trace-context.ts).
  // The OpenTelemetry SDK and its OTLP exporter (~4 MB of heap) are loaded only then.
  const tracing =
    config.otlpEndpoint || options.spanExporter
      ? new (await import('./observability/tracing.js')).GatewayTracing({
          version: config.version,
          otlpEndpoint: config.otlpEndpoint,
          exporter: options.spanExporter,
        })
      : undefined;
  const upstreams = (options.upstreams ?? ((o: UpstreamsOptions) => new Upstreams(o)))({
    config,
    cache,
    versions,
    logger,
    // Every outbound call (data, passthrough, health checks) reports here, from the one client pipeline.
    telemetry: {
      recordAttempt: (event) => metrics.recordUpstreamCall(event),
      startCallSpan: tracing
        ? (name, attributes, parent) => {
            const span = tracing.startCallSpan(name, attributes, parent);
            return span && { span, traceparent: traceContextOf(span).traceparent };
          }
        : undefined,
    },
  });
  for (const name of SERVICE_NAMES) metrics.watchBreaker(name, upstreams.clients[name].breaker);
  metrics.watchCache(cache);
  const authenticator = new Authenticator({ config: config.auth, now: options.now });
  const rateLimits = new RateLimits({ config, logger, redisBreaker });
  const sync = new SyncMonitor({
    config: config.sync,
    clients: upstreams.clients,
    versions,
    logger,
    // A health check gets the service's own call budget (AUTH_SERVICE_TIMEOUT …).
    probeTimeoutMs: (service) => config.services[service].timeoutMs,
    signingSecret: config.sync.alertWebhookSecret,
    ...options.sync,
    webhook: {
      // With Redis, one replica sends each alert: the first to claim its key. The lease outlasts
      // two check intervals, the most by which replicas polling on their own timers see one change apart.
      ...(config.redisUrl
        ? { claim: (key: string) => cache.claim(`sync-alert:${key}`, Math.max(2 * config.sync.checkIntervalMs, 10_000)) }
        : {}),
      ...options.sync?.webhook,
    },
  });
  // Whole responses live in the same cache, keyed by every service's version (any new version retires them).
  const responseCache = config.cache.response.enabled
    ? new ResponseCache(
        cache,
        () => SERVICE_NAMES.map((service) => ({ service, version: versions.get(service) })),
        config.cache.response.maxBody,
        config.cache.response.maxPerPrincipal,
      )
    : undefined;
  const serviceEvents = new ServiceEvents({
    pubsub: events.pubsub,
    replica: config.replicaId,
    maxSubscriptions: config.graphql.maxSubscriptions,
    now: options.now,
  });
  publishServiceEvents(serviceEvents, { upstreams, sync, versions });
  metrics.watchSubscriptions(() => serviceEvents.open);
  const services: GatewayServices = {
    config,
    logger,
    upstreams,
    authenticator,
    rateLimits,
    metrics,
    tracing,
    sync,
    responseCache,
    events,
    serviceEvents,
  };
  // A clear on any replica drops every replica's in-process tier (the one serving while Redis is
  // down); the shared tier was cleared by the replica that was asked. The asking replica hears its
  // own clear too (harmless: dropping an emptied tier again).
  const invalidations = events.pubsub.subscribe('cache-invalidations');
  void (async () => {
    for await (const { service, replica } of invalidations) {
      const dropped = await cache.dropLocal(service ?? undefined);
      logger.debug({ service: service ?? 'all', from: replica, dropped }, 'cache cleared on another replica: in-process tier dropped');
    }
  })().catch((err: unknown) => logger.error({ err }, 'cache invalidation listener failed'));
  metrics.watchSync(() =>
    SERVICE_NAMES.flatMap((name) => {
      const state = sync.serviceSync(name)?.state;
      return state ? [{ name, state }] : [];
    }),
  );

  let ready = true;
  const yoga = createGatewayYoga(services, options.graphiql);
  // Every Redis client in use must answer for Redis to be `up` (the cache's, the rate limiter's).
  const redis = () => (!config.redisUrl ? 'off' : [cache.redisConnected, rateLimits.redisConnected].includes(false) ? 'down' : 'up');
  if (config.redisUrl) metrics.watchRedis(() => (redis() === 'up' ? 'up' : 'down'));
  const server = createHttpServer({ services, yoga, isReady: () => ready, redis });
  // First round at once, then every SYNC_CHECK_INTERVAL (a no-op when FEATURE_SYNC_MONITORING=false).
  sync.start();

  const graceMs = options.shutdownGraceMs ?? config.shutdownGraceMs;
  let closing: Promise<void> | undefined;
  return {
    server,
    services,
    config,
    async listen(port = config.port, host = config.host) {
      const address = await server.listen({ port, host });
      return address.replace('[::1]', 'localhost');
    },
    close() {
      closing ??= (async () => {
        ready = false;
        await sync.close();
        // Before the listener closes: open subscriptions end (complete) instead of holding the grace period.
        await serviceEvents.close();
        // Listener closed at once (new connections refused); in-flight requests get the grace period.
        await withinGrace(server.close(), graceMs, () => server.server.closeAllConnections());
        await withinGrace(upstreams.close(), 1000, () => {
          for (const name of SERVICE_NAMES) void upstreams.clients[name].pool.destroy();
        });
        await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush the last spans'));
        await rateLimits.close();
        await invalidations.return();
        await events.close();
        await cache.dispose();
        await yoga.dispose(); // plugins' stores (persisted operations)
      })();
      return closing;
    },
  };
}

/**
 * What `serviceEvents` carries, from the parts that know it (each emits exactly one event per
 * change): breaker transitions, sync state changes, observed version changes. Cache clears are
 * published by the admin action itself (gateway-admin.ts). Wired here so the lower layers stay
 * unaware of the bus.
 */
function publishServiceEvents(
  events: ServiceEvents,
  { upstreams, sync, versions }: { upstreams: Upstreams; sync: SyncMonitor; versions: ServiceVersions },
): void {
  for (const name of SERVICE_NAMES) {
    const breaker = upstreams.clients[name].breaker;
    const onTransition = ({ service, from, to }: { service: string; from: string; to: string }) =>
      events.publish({ type: 'breaker', service, from, to });
    breaker.on('open', onTransition);
    breaker.on('halfOpen', onTransition);
    breaker.on('close', onTransition);
  }
  sync.on('stateChange', ({ service, previousState, state }) => events.publish({ type: 'sync', service, from: previousState, to: state }));
  versions.on('change', (service, next, previous) =>
    events.publish({ type: 'version', service, from: previous?.version ?? null, to: next.version }),
  );
}

/** Waits for `work`, but at most `ms`; then runs `cutOff` (force-closing what still hangs) and waits for `work` to settle. */
async function withinGrace(work: Promise<unknown>, ms: number, cutOff: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms);
    timer.unref();
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), expired]);
  clearTimeout(timer);
  if (outcome === 'expired') {
    cutOff();
    await work.catch(() => undefined);
  }
}
