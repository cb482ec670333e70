import { GatewayError, errorMessages } from '../errors/index.js';
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
  if (!principal) throw new GatewayError('UNAUTHENTICATED', { message: errorMessages.credentialsRequired() });
}

export function assertCanReadUser(principal: Principal | null, userId: string): void {
  assertAuthenticated(principal);
  if (!canReadUser(principal, userId)) throw new GatewayError('FORBIDDEN', { message: errorMessages.ownUserOnly() });
}

/**
 * The users a passthrough request names (`/api/users/:id`, `/api/users?ids=`, `?userId=`,
 * `?userIds=` on any route): every value of a repeated parameter, comma lists split (an
 * encoded comma too: the target is decoded first), empty entries dropped, as the services
 * read them. `target` is the URL about to be sent upstream.
 */
export function usersNamedByPassthrough(target: URL): string[] {
  const named: string[] = [];
  const userPath = /^\/api\/users\/([^/]*)/.exec(target.pathname);
  if (userPath) named.push(safeDecode(userPath[1]!));
  const params =
    target.pathname === '/api/users' || target.pathname.startsWith('/api/users/') ? ['ids', 'userId', 'userIds'] : ['userId', 'userIds'];
  for (const name of params) {
    for (const value of target.searchParams.getAll(name)) named.push(...value.split(','));
  }
  return named.map((id) => id.trim()).filter((id) => id.length > 0);
}

/** The data rule on passthrough: a `user` may name no other user (`FORBIDDEN` otherwise). */
export function assertCanPassthrough(principal: Principal | null, target: URL): void {
  if (!principal) return;
  for (const id of usersNamedByPassthrough(target)) {
    if (!canReadUser(principal, id)) throw new GatewayError('FORBIDDEN', { message: errorMessages.ownUserOnly() });
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
