import type { FastifyInstance } from 'fastify';
import { audit, auditTarget, type AuditOutcome } from '../security/audit.js';
import { routeConfig } from '../security/route-config.js';

export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 429 ? 'refused' : 'failed';
}

/** An audit line after every admin REST route's answer, whatever it was: routes declare `config: { audit: '<action>' }`. */
export function registerAuditLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const action = routeConfig(req).audit;
    if (!action) return;
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const query = req.query && typeof req.query === 'object' ? (req.query as Record<string, unknown>) : {};
    const service = body.service ?? query.service;
    audit(req, action, outcomeOfStatus(reply.statusCode), { status: reply.statusCode, ...auditTarget(service) });
  });
}
