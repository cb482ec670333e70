import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../../context/index.js';
import { assertServiceName, clearCache, openBreaker, resetBreaker } from '../../admin/gateway-admin.js';
import { requireAdmin } from '../guards.js';

/**
 * Admin actions of `gateway.md` (admin role only; each audited by `registerAuditLog`):
 * `POST /api/gateway/circuit-breaker/reset {"service"}`, `POST /api/gateway/circuit-breaker/open {"service"}`
 * and `DELETE /api/gateway/cache[?service=]`.
 */
export function registerAdminRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.post<{ Body: unknown }>('/api/gateway/circuit-breaker/reset', { config: { audit: 'resetBreaker' } }, async (req) => {
    requireAdmin(req);
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const name = assertServiceName(body.service, 'BAD_REQUEST');
    const view = resetBreaker(services, name);
    return { service: name, breaker: view.breaker };
  });

  app.post<{ Body: unknown }>('/api/gateway/circuit-breaker/open', { config: { audit: 'openBreaker' } }, async (req) => {
    requireAdmin(req);
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const name = assertServiceName(body.service, 'BAD_REQUEST');
    const view = openBreaker(services, name);
    return { service: name, breaker: view.breaker };
  });

  app.delete<{ Querystring: { service?: string } }>('/api/gateway/cache', { config: { audit: 'clearCache' } }, async (req) => {
    requireAdmin(req);
    const raw = req.query.service;
    const name = raw === undefined ? undefined : assertServiceName(raw, 'BAD_REQUEST');
    return clearCache(services, name);
  });
}
