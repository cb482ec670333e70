import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/index.js';
import { isServiceName } from '../config/index.js';
import { routeConfig } from './route-config.js';

/** How an admin action ended: done, refused (401/403/429), or failed (any other error). */
export type AuditOutcome = 'success' | 'refused' | 'failed';

/** What `audit` needs of a request: a Fastify request or a GraphQL `RequestContext` both fit. */
export type AuditSource =
  | Pick<FastifyRequest, 'principal' | 'id' | 'log'>
  | { principal: Principal | null; requestId: string; log: { info: (obj: object, msg: string) => void } };

/** The admin actions of `gateway.md` and their REST twins (`method path` without query); the routes declare them as `config.audit`. */
export const ADMIN_ROUTES: Readonly<Record<string, string>> = {
  'POST /api/gateway/sync/force': 'forceSync',
  'POST /api/gateway/circuit-breaker/reset': 'resetBreaker',
  'POST /api/gateway/circuit-breaker/open': 'openBreaker',
  'DELETE /api/gateway/cache': 'clearCache',
};
export const ADMIN_MUTATIONS: ReadonlySet<string> = new Set(['forceSync', 'resetBreaker', 'openBreaker', 'clearCache']);

/**
 * Writes one audit line for an admin action: `{audit: true, actor, role, action, requestId,
 * outcome, ...details}` at info level, message `audit`. Called for every admin REST route
 * (`registerAuditLog`) and admin mutation (`useAuditLog`) automatically; call it yourself
 * only for a new admin action that is neither.
 */
export function audit(source: AuditSource, action: string, outcome: AuditOutcome, details: Record<string, unknown> = {}): void {
  const requestId = 'requestId' in source ? source.requestId : source.id;
  source.log.info(
    {
      ...details,
      audit: true,
      actor: source.principal?.id ?? 'anonymous',
      role: source.principal?.role ?? 'anonymous',
      action,
      requestId,
      outcome,
    },
    'audit',
  );
}

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
    audit(req, action, outcomeOfStatus(reply.statusCode), { status: reply.statusCode, ...targetOf(service) });
  });
}

/**
 * The service an admin request named. Not under `service`: the gateway's own log lines use
 * that key for the service they are about, and a client must not write into it. A known name
 * is `target`; anything else `requestedService`, truncated.
 */
function targetOf(service: unknown): Record<string, string> {
  if (typeof service !== 'string') return {};
  return isServiceName(service) ? { target: service } : { requestedService: service.slice(0, 64) };
}
