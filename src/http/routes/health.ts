import type { FastifyInstance } from 'fastify';

export interface HealthRouteOptions {
  version: string;
  /** Whether the gateway takes traffic (false while shutting down). */
  isReady: () => boolean;
  /** Redis as the gateway sees it: `off` without `REDIS_URL`, else `up` or `down`. */
  redis: () => 'up' | 'down' | 'off';
}

/** Liveness and readiness for load balancers and kubelets: anonymous, cheap, never rate limited. */
export function registerHealthRoutes(app: FastifyInstance, opts: HealthRouteOptions): void {
  const started = performance.now();
  app.get('/health', async () => ({
    status: 'ok',
    uptime: Math.round((performance.now() - started) / 10) / 100,
    version: opts.version,
  }));
  app.get('/health/ready', async (_req, reply) => {
    const ready = opts.isReady();
    // Never 503 because Redis is down: the gateway still answers, without the shared cache.
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'draining', redis: opts.redis() });
  });
}
