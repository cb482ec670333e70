export { RateLimits, type Limit, type RateLimitDecision, type RateLimitsOptions } from './rate-limits.js';
export { registerRateLimit, registerAuthFailureLimit, authFailureGate, rateLimitKey, rateLimitHeaders } from './http-rate-limit.js';
export { useMutationRateLimit } from './use-mutation-rate-limit.js';
export { useGraphQLHardening, CSRF_HEADERS } from './use-graphql-hardening.js';
export { hardenedServerOptions, registerHttpHardening } from './http-hardening.js';
export { useAuditLog } from './use-audit-log.js';
export { executedOperation, operationOf, type ExecutedOperation, type ExecutedRootField } from './executed-root-fields.js';
