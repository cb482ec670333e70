import { SERVICE_NAMES } from '../config/index.js';
import { BREAKER_STATES, type BreakerStats, type LatencySummary } from '../resilience/index.js';
import { assertServiceName, clearCache, gatewayStats, openBreaker, probeHealth, resetBreaker, serviceView, type GatewayStatsView, type ServiceView } from '../admin/gateway-admin.js';
import type { ServiceSync } from '../sync/index.js';
import { builder } from './builder.js';
import { listSize } from './cost.js';
import { ServiceSyncRef } from './sync.js';

export const BreakerStateRef = builder.enumType('BreakerState', {
  description: 'CLOSED: calls pass; OPEN: calls are refused; HALF_OPEN: one trial call is let through.',
  values: BREAKER_STATES,
});
export const LatencyRef = builder.objectRef<LatencySummary>('Latency');
export const BreakerRef = builder.objectRef<BreakerStats>('Breaker');
export const ServiceRef = builder.objectRef<ServiceView>('Service');
export const GatewayStatsRef = builder.objectRef<GatewayStatsView>('GatewayStats');

LatencyRef.implement({
  description: 'Latency of recent calls that reached the service, in milliseconds.',
  fields: (t) => ({
    p50: t.exposeFloat('p50'),
    p95: t.exposeFloat('p95'),
    p99: t.exposeFloat('p99'),
    mean: t.exposeFloat('mean'),
  }),
});

BreakerRef.implement({
  description: 'The circuit breaker of one service; counters are cumulative since start.',
  fields: (t) => ({
    state: t.expose('state', { type: BreakerStateRef }),
    forced: t.exposeBoolean('forced', { description: 'Held OPEN by an admin (openBreaker) until resetBreaker: no half-open trial calls.' }),
    failures: t.exposeInt('failures'),
    successes: t.exposeInt('successes'),
    rejects: t.exposeInt('rejects', { description: 'Calls refused without reaching the service.' }),
    timeouts: t.exposeInt('timeouts'),
    fallbacks: t.exposeInt('fallbacks', { description: 'Failed reads answered from a stale cache entry.' }),
    openedAt: t.exposeString('openedAt', { nullable: true }),
    latency: t.expose('latency', { type: LatencyRef }),
  }),
});

ServiceRef.implement({
  description: 'One upstream service as the gateway sees it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    url: t.exposeString('url'),
    healthy: t.exposeBoolean('healthy', { description: 'Its /health answered 2xx at the last check and its breaker is not open.' }),
    breaker: t.expose('breaker', { type: BreakerRef }),
    sync: t.field({
      type: ServiceSyncRef,
      nullable: true,
      description: 'Its shared knowledge sync (null while sync monitoring is off).',
      resolve: (service) => service.sync as ServiceSync | null,
    }),
  }),
});

GatewayStatsRef.implement({
  description: 'Counters of the gateway since it started.',
  fields: (t) => ({
    replica: t.exposeString('replica', { description: 'Which gateway process answered: GATEWAY_REPLICA_ID, else hostname:pid. Breakers are per replica.' }),
    uptimeSeconds: t.exposeFloat('uptimeSeconds'),
    cacheHits: t.int({ resolve: (s) => s.cache.hits }),
    cacheMisses: t.int({ resolve: (s) => s.cache.misses }),
    cacheKeys: t.int({ resolve: (s) => s.cache.keys }),
    cacheHitRate: t.float({ resolve: (s) => s.cache.hitRate }),
    dashboardsServed: t.int({ resolve: (s) => s.orchestration.dashboards.total }),
    dashboardsDegraded: t.int({ resolve: (s) => s.orchestration.dashboards.degraded }),
    requests: t.int({ description: 'HTTP requests answered.', resolve: (s) => s.requests?.total ?? 0 }),
    breakers: t.field({
      type: [ServiceRef],
      description: 'Every service with its breaker (health as last known; no live check).',
      extensions: listSize({ estimate: SERVICE_NAMES.length }),
      resolve: (_s, _args, ctx) => SERVICE_NAMES.map((name) => serviceView(ctx.services, name)),
    }),
  }),
});

builder.queryField('services', (t) =>
  t.field({
    type: [ServiceRef],
    description: 'Every configured service: health, breaker, sync.',
    extensions: listSize({ estimate: SERVICE_NAMES.length }),
    authScopes: { monitoring: true },
    resolve: async (_root, _args, ctx) => {
      const probed = await probeHealth(ctx.services, ctx.requestId, Math.min(2000, ctx.services.config.orchestration.timeoutMs));
      return SERVICE_NAMES.map((name) => serviceView(ctx.services, name, probed[name]));
    },
  }),
);

builder.queryField('stats', (t) =>
  t.field({
    type: GatewayStatsRef,
    description: 'Breakers, cache and request counters.',
    authScopes: { monitoring: true },
    resolve: (_root, _args, ctx) => gatewayStats(ctx.services),
  }),
);

builder.mutationField('resetBreaker', (t) =>
  t.field({
    type: ServiceRef,
    description: 'Admin: closes the breaker of one service now.',
    authScopes: { admin: true },
    extensions: { adminAction: 'resetBreaker' },
    args: { service: t.arg.string({ required: true }) },
    resolve: (_root, { service }, ctx) => resetBreaker(ctx.services, assertServiceName(service, 'BAD_USER_INPUT')),
  }),
);

builder.mutationField('openBreaker', (t) =>
  t.field({
    type: ServiceRef,
    description: 'Admin: forces the breaker of one service open (maintenance) until resetBreaker: its calls fail fast with SERVICE_UNAVAILABLE, no half-open trial call is made; sync health probes go on.',
    authScopes: { admin: true },
    extensions: { adminAction: 'openBreaker' },
    args: { service: t.arg.string({ required: true }) },
    resolve: (_root, { service }, ctx) => openBreaker(ctx.services, assertServiceName(service, 'BAD_USER_INPUT')),
  }),
);

builder.mutationField('clearCache', (t) =>
  t.field({
    type: 'Int',
    description:
      'Admin: empties the cache, or only what was cached from one service, on every replica; answers the number of entries removed. ' +
      '`extensions.cacheClear` says what was cleared where (`shared: "unreachable"` while Redis is down).',
    authScopes: { admin: true },
    extensions: { adminAction: 'clearCache' },
    args: { service: t.arg.string({ required: false }) },
    resolve: async (_root, { service }, ctx) => {
      const report = await clearCache(ctx.services, service === null || service === undefined ? undefined : assertServiceName(service, 'BAD_USER_INPUT'));
      ctx.extensions = { ...ctx.extensions, cacheClear: report };
      return report.removed;
    },
  }),
);
