/**
 * The time budget of one upstream call (retries included), carried as an AbortSignal so
 * every layer below (retry delays, sockets) stops at the same deadline.
 */

/** The budget of an upstream call ran out. Code `ETIMEDOUT`, like opossum's own timeout error. */
export class UpstreamTimeoutError extends Error {
  readonly code = 'ETIMEDOUT' as const;

  constructor(
    /** The budget that ran out, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`Upstream call did not complete within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeoutError';
  }
}

/** A call budget: abort `signal` when it runs out; always `dispose()` it when the call ends. */
export interface Budget {
  /** Aborts with an {@link UpstreamTimeoutError} at the deadline, or with the parent's reason. */
  readonly signal: AbortSignal;
  /** When the budget runs out, in `Date.now()` milliseconds. */
  readonly deadline: number;
  /** Milliseconds left (0 once aborted). */
  remainingMs(): number;
  /** Clears the timer and detaches from the parent; idempotent. */
  dispose(): void;
}

// Lets withRetry() learn how much budget is left from the signal alone, so callers need not
// thread the deadline through separately. Weak: a budget's entry goes with its signal.
const deadlines = new WeakMap<AbortSignal, number>();

/**
 * Creates the budget of one call: `ms` from now, and no later than `parent` (e.g. the
 * client's request) aborting.
 *
 * Not `AbortSignal.timeout()`: its timer can be neither cleared nor driven by fake timers.
 */
export function budgetSignal(ms: number, parent?: AbortSignal): Budget {
  const controller = new AbortController();
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const dispose = (): void => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  };
  const onParentAbort = (): void => {
    dispose();
    controller.abort(parent?.reason);
  };

  if (parent?.aborted) {
    controller.abort(parent.reason);
  } else if (!Number.isFinite(ms)) {
    // No deadline of its own (the caller bounds the call otherwise): only the parent ends it.
    parent?.addEventListener('abort', onParentAbort, { once: true });
  } else {
    timer = setTimeout(() => {
      dispose();
      controller.abort(new UpstreamTimeoutError(ms));
    }, ms);
    // The budget must never be what keeps the process alive.
    timer.unref();
    parent?.addEventListener('abort', onParentAbort, { once: true });
  }
  deadlines.set(controller.signal, deadline);

  return {
    signal: controller.signal,
    deadline,
    remainingMs: () => (controller.signal.aborted ? 0 : Math.max(0, deadline - Date.now())),
    dispose,
  };
}

/**
 * Milliseconds left before `signal` aborts: 0 when it already has, `Infinity` when the signal
 * has no known deadline (it was not made by {@link budgetSignal}).
 */
export function remainingBudgetMs(signal: AbortSignal): number {
  if (signal.aborted) return 0;
  const deadline = deadlines.get(signal);
  return deadline === undefined ? Infinity : Math.max(0, deadline - Date.now());
}
