import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { GatewayServices } from '../context/index.js';
import type { GatewayYoga } from '../graphql/yoga.js';
import { requestIdFrom } from '../observability/trace-context.js';
import { hardenedServerOptions, registerAuthFailureLimit, registerHttpHardening, registerRateLimit } from '../security/index.js';
import { registerAuditLog } from './audit.js';
import { registerErrorHandling } from './error-handler.js';
import { registerRequestIdentity } from './request-identity.js';
import { registerDashboardRoute } from './routes/dashboard.js';
import { registerGraphQLRoute } from './routes/graphql.js';
import { registerHealthRoutes } from './routes/health.js';

export interface HttpServerOptions {
  services: GatewayServices;
  yoga: GatewayYoga;
  isReady: () => boolean;
}

/** The Fastify server: request identity first (every later hook relies on it), then the routes. */
export function createHttpServer({ services, yoga, isReady }: HttpServerOptions): FastifyInstance {
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
    return503OnClosing: true,
  });

  registerErrorHandling(app);
  // Order matters: CORS/security headers first, credential-guessing guard before the identity
  // hook, the rate limits after it (they key on the principal).
  registerHttpHardening(app, config);
  registerAuthFailureLimit(app, services.rateLimits);
  registerRequestIdentity(app, services.authenticator);
  registerRateLimit(app, services.rateLimits);
  registerAuditLog(app);
  registerHealthRoutes(app, { version: config.version, isReady });
  registerGraphQLRoute(app, yoga);
  registerDashboardRoute(app, services);
  return app;
}
