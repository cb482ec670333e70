import type { Principal } from '../auth/index.js';
import { isServiceName } from '../config/index.js';

/** How an admin action ended: done, refused (401/403/429), or failed (any other error). */
export type AuditOutcome = 'success' | 'refused' | 'failed';

/** What `audit` needs of a request: a Fastify request or a GraphQL `RequestContext` both fit. */
export type AuditSource =
  | { principal: Principal | null; id: string; log: { info: (obj: object, msg: string) => void } }
  | { principal: Principal | null; requestId: string; log: { info: (obj: object, msg: string) => void } };

/**
 * Writes one audit line for an admin action: `{audit: true, actor, role, action, requestId,
 * outcome, ...details}` at info level, message `audit`. Called for every admin REST route
 * (`registerAuditLog`, from the route's `config.audit`) and admin mutation (`useAuditLog`,
 * from the field's `extensions.adminAction`) automatically; call it yourself only for a new
 * admin action that is neither.
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

/**
 * The service an admin request named. Not under `service`: the gateway's own log lines use
 * that key for the service they are about, and a client must not write into it. A known name
 * is `target`; anything else `requestedService`, truncated.
 */
export function auditTarget(service: unknown): Record<string, string> {
  if (typeof service !== 'string') return {};
  return isServiceName(service) ? { target: service } : { requestedService: service.slice(0, 64) };
}
