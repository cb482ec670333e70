/** Breaker, retry and time budget of upstream calls. Knows nothing of GraphQL or HTTP routing. */
export {
  ServiceBreaker,
  BREAKER_STATES,
  BreakerOpenError,
  type BreakerState,
  type BreakerStats,
  type BreakerTransition,
  type ServiceBreakerEvents,
  type ServiceBreakerOptions,
} from './breaker.js';
export type { LatencySummary } from './latency-window.js';
export { withRetry, backoffDelayMs, type RetryOptions } from './retry.js';
export { budgetSignal, remainingBudgetMs, UpstreamTimeoutError, type Budget } from './timeout.js';
