import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../../context/index.js';
import { requireAdmin, requireMonitoringRead } from '../guards.js';

/**
 * The sync routes of `gateway.md`: `GET /health/sync` (anonymous, for load balancers and
 * alerting: `503` only when the overall state is `critical`), the detailed report with
 * history, and the admin's forced check (concurrent forces share one round).
 */
export function registerSyncRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { sync, config } = services;

  app.get('/health/sync', { config: { anonymous: true, rateLimit: 'exempt' } }, async (_req, reply) => {
    const report = sync.report();
    return reply.code(report.status === 'critical' ? 503 : 200).send(report);
  });

  app.get('/api/gateway/sync/status', async (req) => {
    requireMonitoringRead(req, config);
    return sync.detailedReport();
  });

  app.post('/api/gateway/sync/force', { config: { audit: 'forceSync' } }, async (req) => {
    requireAdmin(req);
    return sync.force();
  });
}
