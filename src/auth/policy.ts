import { GatewayError } from '../errors/index.js';
import type { Principal } from './principal.js';

/*
 * The rules of "Who may do what" (`gateway.md`), in one place for GraphQL and REST alike.
 * `can*` answers a question; `assert*` throws the coded refusal.
 */

/** A `user` reads only their own record and dashboard; `admin` and `service` read any. */
export function canReadUser(principal: Principal | null, userId: string): boolean {
  if (!principal) return false;
  return principal.role === 'admin' || principal.role === 'service' || principal.id === userId;
}

/** Monitoring reads (`/api/gateway/*` GETs, `/metrics`, `services`, `stats`, `syncStatus`). */
export function canReadMonitoring(principal: Principal | null, monitoringPublic: boolean): boolean {
  return monitoringPublic || principal?.role === 'admin' || principal?.role === 'service';
}

/** `forceSync`, `resetBreaker`, `clearCache` and their REST twins. */
export function canAdminister(principal: Principal | null): boolean {
  return principal?.role === 'admin';
}

export function assertAuthenticated(principal: Principal | null): asserts principal is Principal {
  if (!principal) throw new GatewayError('UNAUTHENTICATED', { message: 'Authentication is required: send Authorization: Bearer <token> or x-api-key.' });
}

export function assertCanReadUser(principal: Principal | null, userId: string): void {
  assertAuthenticated(principal);
  if (!canReadUser(principal, userId)) throw new GatewayError('FORBIDDEN', { message: 'You may only read your own user data.' });
}
