import pRetry from 'p-retry';
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
 * Carries whatever the attempt threw through p-retry. p-retry 9 never retries a `TypeError`
 * unless it looks like a network error and replaces non-Error throws with a `TypeError` of its
 * own; wrapping keeps `shouldRetry` the only judge and lets us rethrow the original.
 */
class AttemptFailed extends Error {
  constructor(readonly original: unknown) {
    super('upstream attempt failed');
  }
}

/**
 * Runs `fn` and retries it with jittered exponential backoff (p-retry, `randomize: true`)
 * while `shouldRetry` says so, up to `retries` times, inside the budget of `signal`.
 *
 * Throws the error of the last attempt exactly as `fn` threw it, or the budget's abort
 * reason once it has aborted.
 */
export async function withRetry<T>(
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const { signal } = opts;
  const minDelayMs = opts.minDelayMs ?? 50;
  const maxDelayMs = Math.max(opts.maxDelayMs ?? 1000, minDelayMs);
  // p-retry re-checks the signal after a successful attempt and would discard an answer that
  // arrived just as the budget ran out; we keep it.
  let success: { value: T } | undefined;

  try {
    return await pRetry(
      async (attempt) => {
        let value: T;
        try {
          value = await fn(attempt, signal);
        } catch (err) {
          throw new AttemptFailed(err);
        }
        success = { value };
        return value;
      },
      {
        retries: opts.retries,
        signal,
        minTimeout: minDelayMs,
        maxTimeout: maxDelayMs,
        factor: 2,
        randomize: true,
        unref: true,
        // Called right before p-retry sleeps `retryDelay`; the place to veto or lengthen that wait.
        shouldRetry: async ({ error, attemptNumber, retryDelay }) => {
          const original = error instanceof AttemptFailed ? error.original : error;
          if (!opts.shouldRetry(original)) return false;
          const asked = opts.retryAfterMs?.(original);
          const retryAfter = asked !== undefined && Number.isFinite(asked) && asked > 0 ? asked : 0;
          // Retry-After is a floor ("not before"), so the longer of it and the backoff is waited.
          const wait = Math.max(retryDelay, retryAfter);
          // Waiting past the deadline only to be aborted would hide the real error behind a timeout.
          if (wait >= remainingBudgetMs(signal)) return false;
          if (retryAfter > retryDelay) await sleep(retryAfter - retryDelay, signal);
          opts.onRetry?.(original, attemptNumber);
          return true;
        },
      },
    );
  } catch (err) {
    if (success) return success.value;
    throw err instanceof AttemptFailed ? err.original : err;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
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
