import type { Logger } from 'pino';
import type { GatewayCache } from '../cache/index.js';
import { SERVICE_NAMES, type GatewayConfig, type ServiceName } from '../config/index.js';
import { ServiceBreaker } from '../resilience/index.js';
import { AuthSource } from './auth/auth-source.js';
import { CommentSource } from './comment/comment-source.js';
import { IndustrySource } from './industry/industry-source.js';
import { NpsSource } from './nps/nps-source.js';
import { ServiceClient, type UpstreamTelemetry } from './service-client.js';
import type { ServiceVersions } from './service-versions.js';
import { UpstreamHttpError } from './upstream-errors.js';

export interface UpstreamsOptions {
  config: GatewayConfig;
  cache: GatewayCache;
  versions: ServiceVersions;
  logger: Logger;
  /** Spans and metrics of every call (app.ts wires tracing and metrics here). */
  telemetry?: UpstreamTelemetry;
}

/** The four services: one client (pool + breaker) each, and the typed reads built on them. */
export class Upstreams {
  readonly clients: Readonly<Record<ServiceName, ServiceClient>>;
  readonly auth: AuthSource;
  readonly comment: CommentSource;
  readonly industry: IndustrySource;
  readonly nps: NpsSource;
  readonly cache: GatewayCache;
  readonly versions: ServiceVersions;

  constructor({ config, cache, versions, logger, telemetry }: UpstreamsOptions) {
    this.cache = cache;
    this.versions = versions;
    const clients = {} as Record<ServiceName, ServiceClient>;
    for (const name of SERVICE_NAMES) {
      const breaker = new ServiceBreaker({
        name,
        enabled: config.breaker.enabled,
        failureThreshold: config.breaker.failureThreshold,
        resetTimeoutMs: config.breaker.resetTimeoutMs,
        // A 4xx is the caller's problem, never a sign the service is down.
        isFailure: (err) => !(err instanceof UpstreamHttpError && err.status < 500),
      });
      // Breakers are per replica: each line says whose view it is.
      const about = { service: name, replica: config.replicaId };
      breaker.on('open', () => logger.warn(about, 'circuit breaker opened'));
      breaker.on('halfOpen', () => logger.info(about, 'circuit breaker half-open: probing'));
      breaker.on('close', () => logger.info(about, 'circuit breaker closed'));
      clients[name] = new ServiceClient({
        name,
        baseUrl: config.services[name].url,
        timeoutMs: config.services[name].timeoutMs,
        retries: config.orchestration.retryAttempts,
        breaker,
        versions,
        logger,
        signingSecret: config.signingSecret,
        traceCalls: config.requestTracing,
        telemetry,
      });
    }
    this.clients = Object.freeze(clients);
    const kit = (name: ServiceName) => ({ client: clients[name], cache, versions });
    const ttl = config.cache;
    this.auth = new AuthSource(kit('auth'), ttl.ttl.user);
    this.comment = new CommentSource(kit('comment'), ttl.defaultTtlMs);
    this.industry = new IndustrySource(kit('industry'), { industries: ttl.ttl.industries, jobs: ttl.ttl.jobs });
    this.nps = new NpsSource(kit('nps'), ttl.defaultTtlMs);
  }

  async close(): Promise<void> {
    await Promise.all(
      Object.values(this.clients).map((c) => {
        c.breaker.dispose();
        return c.close();
      }),
    );
  }
}
