import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Authenticator } from './auth/index.js';
import { GatewayCache } from './cache/index.js';
import type { GatewayConfig } from './config/index.js';
import type { GatewayServices } from './context/index.js';
import { createGatewayYoga, type GraphiQLDefaults } from './graphql/yoga.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './observability/logger.js';
import { RateLimits } from './security/index.js';
import { ServiceVersions, Upstreams } from './upstreams/index.js';

export interface GatewayAppOptions {
  config: GatewayConfig;
  /** Use this logger instead of building one from config (tests capture logs this way). */
  logger?: Logger;
  graphiql?: GraphiQLDefaults;
  /** A clock for caches and tokens (tests). */
  now?: () => number;
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
  const cache = GatewayCache.create({
    enabled: config.cache.enabled,
    redisUrl: config.redisUrl,
    staleFactor: config.cache.staleFactor,
    memory: { maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes },
    now: options.now,
    logger,
  });
  await cache.ready();
  const versions = new ServiceVersions(options.now);
  const upstreams = new Upstreams({ config, cache, versions, logger });
  const authenticator = new Authenticator({ config: config.auth, now: options.now });
  const rateLimits = new RateLimits({ config, logger });
  const services: GatewayServices = { config, logger, upstreams, authenticator, rateLimits };

  let ready = true;
  const yoga = createGatewayYoga(services, options.graphiql);
  const server = createHttpServer({ services, yoga, isReady: () => ready });

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
        await server.close();
        await upstreams.close();
        await rateLimits.close();
        await cache.dispose();
      })();
      return closing;
    },
  };
}
