import type { FastifyInstance } from 'fastify';

export interface HealthRouteOptions {
  version: string;
  /** Whether the gateway takes traffic (false while shutting down). */
  isReady: () => boolean;
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
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'draining' });
  });
}
