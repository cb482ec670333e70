export { Authenticator, type AuthenticatorOptions } from './authenticator.js';
export { canReadUser, canReadMonitoring, canAdminister, assertAuthenticated, assertCanReadUser } from './policy.js';
export type { Principal, Role } from './principal.js';
