import type { FastifyRequest } from 'fastify';
import { assertAuthenticated, canAdminister, canReadMonitoring } from '../auth/index.js';
import type { GatewayConfig } from '../config/index.js';
import { GatewayError } from '../errors/index.js';

/*
 * The REST side of the policy in `src/auth/policy.ts` (GraphQL uses the same functions
 * through Pothos scopes), so a rule is written once for both.
 */

/** Any verified principal; 401 otherwise. */
export function requirePrincipal(req: FastifyRequest): void {
  assertAuthenticated(req.principal);
}

/** Monitoring reads: public when `MONITORING_PUBLIC=true`, else `admin` or `service`. */
export function requireMonitoringRead(req: FastifyRequest, config: GatewayConfig): void {
  if (canReadMonitoring(req.principal, config.monitoringPublic)) return;
  assertAuthenticated(req.principal);
  throw new GatewayError('FORBIDDEN', { message: 'Monitoring routes need an admin or service principal.' });
}

/** Admin actions (force sync, reset breaker, clear cache): `admin` only. */
export function requireAdmin(req: FastifyRequest): void {
  assertAuthenticated(req.principal);
  if (!canAdminister(req.principal)) throw new GatewayError('FORBIDDEN', { message: 'This action needs the admin role.' });
}
