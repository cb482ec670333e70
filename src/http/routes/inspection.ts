import type { FastifyInstance } from 'fastify';
import { SERVICE_NAMES } from '../../config/index.js';
import type { GatewayServices } from '../../context/index.js';
import { gatewayStats, probeHealth, serviceView } from '../../admin/gateway-admin.js';
import { requireMonitoringRead } from '../guards.js';

/**
 * What operators look at: `GET /health/services` (anonymous, always 200, for dashboards and
 * status pages), `GET /api/gateway/services` and `GET /api/gateway/stats` (monitoring reads).
 */
export function registerInspectionRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { config } = services;

  const allServices = async (requestId: string) => {
    const probed = await probeHealth(services, requestId, Math.min(2000, config.orchestration.timeoutMs));
    return SERVICE_NAMES.map((name) => serviceView(services, name, probed[name]));
  };

  app.get('/health/services', async (req) => {
    const list = await allServices(req.id);
    return {
      status: list.every((s) => s.healthy) ? 'ok' : 'degraded',
      services: list.map((s) => ({
        name: s.name,
        healthy: s.healthy,
        health: s.health,
        breaker: s.breaker.state,
        sync: s.sync?.state ?? null,
      })),
    };
  });

  app.get('/api/gateway/services', async (req) => {
    requireMonitoringRead(req, config);
    return { services: await allServices(req.id) };
  });

  app.get('/api/gateway/stats', async (req) => {
    requireMonitoringRead(req, config);
    return gatewayStats(services);
  });
}
