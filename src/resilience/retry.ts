import { remainingBudgetMs } from './timeout.js';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Retries after the first try (0: a single try). */
  retries: number;
  /**
   * The budget of the whole call, retries included: once aborted nothing is retried and the
   * abort reason is thrown. A signal made by `budgetSignal()` also tells how much time is left,
   * so a wait that would outlast the budget is not started.
   */
  signal: AbortSignal;
  /** First backoff delay before jitter. Default 50 ms. */
  minDelayMs?: number;
  /** Cap of any backoff delay. Default 1000 ms. */
  maxDelayMs?: number;
  /** Whether this error is worth another try (a network error, a 5xx…). */
  shouldRetry: (err: unknown) => boolean;
  /**
   * How long the service asked us to wait (its `Retry-After`), if it did. The next try waits
   * at least that long; if that is longer than the budget left, retrying stops at once.
   */
  retryAfterMs?: (err: unknown) => number | undefined;
  /** Called before each retry with the error of the attempt that failed and its 1-based number. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/**
 * The wait before retry number `retry` (1-based): exponential from `minDelayMs`, doubled per
 * retry, with full jitter up to twice that, capped at `maxDelayMs`. Passthrough's retries use
 * it too, so every retry of the gateway backs off alike.
 */
export function backoffDelayMs(retry: number, minDelayMs = 50, maxDelayMs = 1000): number {
  return Math.min(Math.max(maxDelayMs, minDelayMs), Math.round(minDelayMs * 2 ** (retry - 1) * (1 + Math.random())));
}

/**
 * Runs `fn` and retries it with jittered exponential backoff while `shouldRetry` says so, up
 * to `retries` times, inside the budget of `signal`.
 *
 * Throws the error of the last attempt exactly as `fn` threw it, or the budget's abort
 * reason once it has aborted. A loop of our own rather than p-retry: p-retry judges errors
 * itself (never retries a `TypeError`, replaces non-Error throws) and drops an answer that
 * arrives as the budget runs out, which took more code to undo than this loop is.
 */
export function withRetry<T>(fn: (attempt: number, signal: AbortSignal) => Promise<T>, opts: RetryOptions): Promise<T> {
  const { signal } = opts;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  // The first try without an async frame of its own (most calls need no other): the loop below
  // starts only once it has failed.
  return tryOnce(fn, 1, signal).then(undefined, (err: unknown) => retryAfter(fn, opts, err));
}

function tryOnce<T>(fn: (attempt: number, signal: AbortSignal) => Promise<T>, attempt: number, signal: AbortSignal): Promise<T> {
  try {
    return fn(attempt, signal);
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** The retries, once try 1 has failed with `firstError`. */
async function retryAfter<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  opts: RetryOptions,
  firstError: unknown,
): Promise<T> {
  const { signal } = opts;
  const minDelayMs = opts.minDelayMs ?? 50;
  const maxDelayMs = opts.maxDelayMs ?? 1000;
  let err = firstError;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw signal.reason;
    if (attempt > opts.retries || !opts.shouldRetry(err)) throw err;
    const asked = opts.retryAfterMs?.(err);
    // Retry-After is a floor ("not before"), so the longer of it and the backoff is waited.
    const wait = Math.max(
      backoffDelayMs(attempt, minDelayMs, maxDelayMs),
      asked !== undefined && Number.isFinite(asked) && asked > 0 ? asked : 0,
    );
    // Waiting past the deadline only to be aborted would hide the real error behind a timeout.
    if (wait >= remainingBudgetMs(signal)) throw err;
    opts.onRetry?.(err, attempt);
    await sleep(wait, signal);
    if (signal.aborted) throw signal.reason;
    try {
      return await fn(attempt + 1, signal);
    } catch (next) {
      err = next;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
