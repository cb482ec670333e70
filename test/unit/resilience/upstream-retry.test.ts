import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, budgetSignal, remainingBudgetMs, UpstreamTimeoutError, withRetry } from '../../../src/resilience/index.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

const retryable = (err: unknown) => err instanceof HttpError && err.status >= 500;

/** Drives fake timers until `p` settles; returns its outcome without unhandled rejections. */
async function settle<T>(p: Promise<T>, stepMs = 10, maxMs = 120_000): Promise<PromiseSettledResult<T>> {
  let result: PromiseSettledResult<T> | undefined;
  p.then(
    (value) => (result = { status: 'fulfilled', value }),
    (reason: unknown) => (result = { status: 'rejected', reason }),
  );
  for (let t = 0; t <= maxMs && !result; t += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
  if (!result) throw new Error('promise never settled');
  return result;
}

describe('withRetry', () => {
  const budgets: Array<{ dispose(): void }> = [];
  const budget = (ms: number, parent?: AbortSignal) => {
    const b = budgetSignal(ms, parent);
    budgets.push(b);
    return b;
  };

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const b of budgets.splice(0)) b.dispose();
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('returns the first success without retrying', async () => {
    const fn = vi.fn(async () => 'ok');
    const r = await settle(withRetry(fn, { retries: 3, signal: budget(5000).signal, shouldRetry: () => true }));
    expect(r).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('retries errors shouldRetry accepts up to `retries` times, then throws the last original error', async () => {
    const errors = [new HttpError(503), new HttpError(502), new HttpError(500)];
    const fn = vi.fn(async (attempt: number) => {
      throw errors[attempt - 1];
    });
    const onRetry = vi.fn();
    const r = await settle(withRetry(fn, { retries: 2, signal: budget(10_000).signal, shouldRetry: retryable, onRetry }));
    expect(fn).toHaveBeenCalledTimes(3);
    expect(fn.mock.calls.map((c) => c[0])).toEqual([1, 2, 3]);
    expect(r).toEqual({ status: 'rejected', reason: errors[2] });
    expect(onRetry.mock.calls).toEqual([
      [errors[0], 1],
      [errors[1], 2],
    ]);
  });

  it('succeeds on a later attempt', async () => {
    let n = 0;
    const fn = vi.fn(async () => {
      if (++n < 3) throw new HttpError(503);
      return n;
    });
    const r = await settle(withRetry(fn, { retries: 3, signal: budget(10_000).signal, shouldRetry: retryable }));
    expect(r).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('does not retry errors shouldRetry refuses, TypeErrors and non-Error throws included, and rethrows them as thrown', async () => {
    for (const thrown of [new HttpError(404), new TypeError('boom'), 'a string']) {
      const fn = vi.fn(async () => {
        throw thrown;
      });
      const r = await settle(withRetry(fn, { retries: 3, signal: budget(5000).signal, shouldRetry: retryable }));
      expect(r).toEqual({ status: 'rejected', reason: thrown });
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('retries a TypeError when shouldRetry says so (p-retry alone would not)', async () => {
    const fn = vi.fn(async () => {
      throw new TypeError('fetch failed');
    });
    await settle(withRetry(fn, { retries: 2, signal: budget(10_000).signal, shouldRetry: () => true }));
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('backs off exponentially with jitter, within [min·2^n, 2·min·2^n] capped by maxDelayMs', async () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValueOnce(0.1).mockReturnValueOnce(0.9).mockReturnValueOnce(0.5);
    const at: number[] = [];
    const fn = vi.fn(async () => {
      at.push(Date.now());
      throw new HttpError(503);
    });
    await settle(withRetry(fn, { retries: 3, signal: budget(60_000).signal, minDelayMs: 100, maxDelayMs: 350, shouldRetry: retryable }), 1);
    const delays = at.slice(1).map((t, i) => t - at[i]!);
    // 100·1.1, 200·1.9 capped at 350, 400·1.5 capped at 350
    expect(delays).toEqual([110, 350, 350]);
  });

  it('jitter makes two runs wait differently (real Math.random)', async () => {
    const firstDelay = async () => {
      const at: number[] = [];
      await settle(
        withRetry(
          async () => {
            at.push(Date.now());
            throw new HttpError(503);
          },
          { retries: 1, signal: budget(60_000).signal, minDelayMs: 1000, maxDelayMs: 10_000, shouldRetry: retryable },
        ),
        1,
      );
      return at[1]! - at[0]!;
    };
    const delays = new Set<number>();
    for (let i = 0; i < 5; i++) delays.add(await firstDelay());
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(1000);
  });

  it('honours Retry-After: waits at least that long before the next try', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const at: number[] = [];
    let n = 0;
    const fn = async () => {
      at.push(Date.now());
      if (++n === 1) throw new HttpError(503, 2000);
      return 'ok';
    };
    const r = await settle(
      withRetry(fn, {
        retries: 2,
        signal: budget(10_000).signal,
        shouldRetry: retryable,
        retryAfterMs: (e) => (e as HttpError).retryAfterMs,
      }),
      1,
    );
    expect(r).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(at[1]! - at[0]!).toBe(2000);
  });

  it('stops at once and throws the last error when Retry-After exceeds the budget left', async () => {
    const err = new HttpError(503, 5000);
    const fn = vi.fn(async () => {
      throw err;
    });
    const started = Date.now();
    const r = await settle(
      withRetry(fn, {
        retries: 3,
        signal: budget(3000).signal,
        shouldRetry: retryable,
        retryAfterMs: (e) => (e as HttpError).retryAfterMs,
      }),
      1,
    );
    expect(r).toEqual({ status: 'rejected', reason: err });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(Date.now() - started).toBeLessThan(10);
  });

  it('does not start a backoff that would outlast the budget', async () => {
    const err = new HttpError(503);
    const fn = vi.fn(async () => {
      throw err;
    });
    const r = await settle(withRetry(fn, { retries: 5, signal: budget(40).signal, minDelayMs: 50, shouldRetry: retryable }), 1);
    expect(r).toEqual({ status: 'rejected', reason: err });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('never retries once the budget aborted; throws the abort reason', async () => {
    const b = budget(1000);
    const fn = vi.fn(
      (_attempt: number, signal: AbortSignal) =>
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('socket aborted')), { once: true })),
    );
    const r = await settle(withRetry(fn, { retries: 5, signal: b.signal, shouldRetry: () => true }));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(r.status).toBe('rejected');
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(UpstreamTimeoutError);
    expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ETIMEDOUT', timeoutMs: 1000 });
  });

  it('stops waiting when the budget aborts during a backoff', async () => {
    const parent = new AbortController();
    const b = budget(60_000, parent.signal);
    const fn = vi.fn(async () => {
      throw new HttpError(503, 5000);
    });
    const p = withRetry(fn, { retries: 3, signal: b.signal, shouldRetry: retryable, retryAfterMs: (e) => (e as HttpError).retryAfterMs });
    const outcome = settle(p, 100);
    await vi.advanceTimersByTimeAsync(1000);
    parent.abort(new Error('client went away'));
    const r = await outcome;
    expect(fn).toHaveBeenCalledTimes(1);
    expect((r as PromiseRejectedResult).reason).toMatchObject({ message: 'client went away' });
  });

  it('does not call fn when the budget is already spent', async () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const fn = vi.fn(async () => 1);
    const r = await settle(withRetry(fn, { retries: 1, signal: budget(1000, parent.signal).signal, shouldRetry: () => true }));
    expect(fn).not.toHaveBeenCalled();
    expect(r.status).toBe('rejected');
  });
});

describe('budgetSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with an UpstreamTimeoutError at the deadline and reports the time left', () => {
    const b = budgetSignal(500);
    expect(remainingBudgetMs(b.signal)).toBe(500);
    vi.advanceTimersByTime(200);
    expect(b.remainingMs()).toBe(300);
    vi.advanceTimersByTime(300);
    expect(b.signal.aborted).toBe(true);
    expect(b.signal.reason).toBeInstanceOf(UpstreamTimeoutError);
    expect(remainingBudgetMs(b.signal)).toBe(0);
    b.dispose();
  });

  it('follows its parent, and leaves no timer once aborted or disposed', () => {
    const parent = new AbortController();
    const b = budgetSignal(500, parent.signal);
    const c = budgetSignal(500);
    expect(vi.getTimerCount()).toBe(2);
    parent.abort('bye');
    expect(b.signal.reason).toBe('bye');
    expect(vi.getTimerCount()).toBe(1);
    c.dispose();
    c.dispose();
    expect(vi.getTimerCount()).toBe(0);
    expect(c.signal.aborted).toBe(false);
  });

  it('a foreign signal has no known deadline', () => {
    expect(remainingBudgetMs(new AbortController().signal)).toBe(Infinity);
  });
});

describe('backoffDelayMs (the one backoff, data calls and passthrough alike)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles per retry from the minimum, with jitter up to twice that, capped', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n))).toEqual([50, 100, 200, 400, 800, 1000]);
    random.mockReturnValue(0.999);
    expect(backoffDelayMs(1)).toBe(100);
    expect(backoffDelayMs(3, 100, 350)).toBe(350);
  });
});
