import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { GatewayServices } from '../context/index.js';
import type { GatewayYoga } from '../graphql/yoga.js';
import { requestIdFrom } from '../observability/trace-context.js';
import {
  authFailureGate,
  hardenedServerOptions,
  registerAuthFailureLimit,
  registerHttpHardening,
  registerRateLimit,
} from '../security/index.js';
import { registerRequestTargetCheck } from '../security/http-hardening.js';
import { registerAuditLog } from './audit.js';
import { handleFrameworkError, registerErrorHandling } from './error-handler.js';
import { registerRequestIdentity } from './request-identity.js';
import fastifyCompress from '@fastify/compress';
import { registerMetricsRoute, registerObservability } from './request-telemetry.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDashboardRoute } from './routes/dashboard.js';
import { registerInspectionRoutes } from './routes/inspection.js';
import { registerPassthroughRoutes } from './routes/passthrough.js';
import { registerSyncRoutes } from './routes/sync.js';
import { registerGraphQLRoute } from './routes/graphql.js';
import { createDirectExecution } from '../graphql/direct-execution.js';
import { registerHealthRoutes } from './routes/health.js';

export interface HttpServerOptions {
  services: GatewayServices;
  yoga: GatewayYoga;
  isReady: () => boolean;
  redis: () => 'up' | 'down' | 'off';
}

/** The Fastify server: request identity first (every later hook relies on it), then the routes. */
export function createHttpServer({ services, yoga, isReady, redis }: HttpServerOptions): FastifyInstance {
  const { config, logger } = services;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    // Per-request "incoming/completed" lines only at debug: at info they would double the log volume.
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: config.log.level !== 'debug' && config.log.level !== 'trace',
    }),
    // Body, header/URL size, header and request timeouts, trusted proxies (src/security/http-hardening.ts).
    ...hardenedServerOptions(config),
    keepAliveTimeout: 72_000,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: handleFrameworkError,
    return503OnClosing: true,
  });

  registerErrorHandling(app);
  // First of all: a target with dot segments, an encoded slash or in absolute form is 400 before anything else runs.
  registerRequestTargetCheck(app);
  // Order matters: CORS/security headers first, then identity (a failed credential meets the
  // credential-guessing guard there), the rate limits after it (they key on the principal).
  registerHttpHardening(app, config);
  registerAuthFailureLimit(app, services.rateLimits);
  registerRequestIdentity(app, services.authenticator, { onAuthFailure: authFailureGate(services.rateLimits) });
  // Right after identity: the request span and metrics cover everything later hooks refuse.
  registerObservability(app, services);
  registerRateLimit(app, services.rateLimits);
  registerAuditLog(app);
  registerHealthRoutes(app, { version: config.version, isReady, redis });
  // gzip/brotli above 1 KiB for the routes registered inside this scope (the plugin must be
  // loaded before they are declared). Passthrough stays outside: it forwards bodies as the
  // service sent them, already compressed or not, and never inflates request bodies.
  void app.register(async (compressed) => {
    await compressed.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'], global: true, globalDecompression: false });
    registerGraphQLRoute(compressed, yoga, {
      responseCache: services.responseCache,
      pubsub: services.events.pubsub,
      direct: services.config.graphql.directExecution ? createDirectExecution(yoga) : undefined,
      metrics: services.metrics,
      trustedOnly: services.config.graphql.trustedOnly,
    });
    registerDashboardRoute(compressed, services);
    registerInspectionRoutes(compressed, services);
    registerAdminRoutes(compressed, services);
    registerMetricsRoute(compressed, services);
    registerSyncRoutes(compressed, services);
  });
  registerPassthroughRoutes(app, { services });
  return app;
}
