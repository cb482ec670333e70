import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BreakerOpenError, ServiceBreaker, type ServiceBreakerOptions } from '../../../src/resilience/index.js';

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const fail =
  (status = 503) =>
  () =>
    Promise.reject(new HttpError(status));
const ok =
  <T>(value: T) =>
  () =>
    Promise.resolve(value);

/** A call that settles only when told to. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ServiceBreaker', () => {
  let breakers: ServiceBreaker[] = [];
  const make = (opts: Partial<ServiceBreakerOptions> = {}) => {
    const b = new ServiceBreaker({
      name: 'comment',
      failureThreshold: 3,
      resetTimeoutMs: 1000,
      isFailure: (err) => !(err instanceof HttpError && err.status < 500),
      ...opts,
    });
    breakers.push(b);
    return b;
  };
  const events = (b: ServiceBreaker) => {
    const seen: string[] = [];
    b.on('open', (t) => seen.push(`open:${t.from}->${t.to}`));
    b.on('halfOpen', (t) => seen.push(`halfOpen:${t.from}->${t.to}`));
    b.on('close', (t) => seen.push(`close:${t.from}->${t.to}`));
    return seen;
  };
  const failTimes = async (b: ServiceBreaker, n: number) => {
    for (let i = 0; i < n; i++) await expect(b.fire(fail())).rejects.toBeInstanceOf(HttpError);
  };

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    for (const b of breakers) b.dispose();
    breakers = [];
    vi.useRealTimers();
  });

  it('stays CLOSED after threshold - 1 consecutive failures and opens exactly at the threshold', async () => {
    const b = make();
    const seen = events(b);
    await failTimes(b, 2);
    expect(b.state).toBe('CLOSED');
    expect(b.stats.consecutiveFailures).toBe(2);
    await failTimes(b, 1);
    expect(b.state).toBe('OPEN');
    expect(seen).toEqual(['open:CLOSED->OPEN']);
    expect(b.stats.openedAt).toBe(new Date(Date.now()).toISOString());
  });

  it('a success in between resets the count', async () => {
    const b = make();
    await failTimes(b, 2);
    await expect(b.fire(ok('x'))).resolves.toBe('x');
    expect(b.stats.consecutiveFailures).toBe(0);
    await failTimes(b, 2);
    expect(b.state).toBe('CLOSED');
    await failTimes(b, 1);
    expect(b.state).toBe('OPEN');
  });

  it('is not fooled by a low error rate: many successes then N failures still open it', async () => {
    const b = make({ failureThreshold: 5 });
    for (let i = 0; i < 100; i++) await b.fire(ok(i));
    await failTimes(b, 5);
    expect(b.state).toBe('OPEN');
  });

  it('never opens on errors isFailure rejects (4xx), counts them as successes and rethrows them unchanged', async () => {
    const b = make({ failureThreshold: 2 });
    for (let i = 0; i < 10; i++) {
      const err = new HttpError(404);
      await expect(b.fire(() => Promise.reject(err))).rejects.toBe(err);
    }
    expect(b.state).toBe('CLOSED');
    // A 4xx between two 5xx breaks the streak.
    await failTimes(b, 1);
    await expect(b.fire(fail(400))).rejects.toBeInstanceOf(HttpError);
    await failTimes(b, 1);
    expect(b.state).toBe('CLOSED');
    expect(b.stats).toMatchObject({ failures: 2, successes: 11, consecutiveFailures: 1 });
  });

  it('while OPEN rejects at once with EOPENBREAKER, without calling fn', async () => {
    const b = make();
    const rejects: BreakerOpenError[] = [];
    b.on('reject', (e) => rejects.push(e));
    await failTimes(b, 3);
    vi.advanceTimersByTime(400);
    const fn = vi.fn(ok('never'));
    const err = await b.fire(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(BreakerOpenError);
    expect(err).toMatchObject({ code: 'EOPENBREAKER', service: 'comment', retryAfterMs: 600 });
    expect(rejects).toEqual([err]);
    expect(b.stats.rejects).toBe(1);
  });

  it('goes HALF_OPEN after resetTimeoutMs and lets exactly one probe through', async () => {
    const b = make();
    const seen = events(b);
    await failTimes(b, 3);
    vi.advanceTimersByTime(999);
    expect(b.state).toBe('OPEN');
    vi.advanceTimersByTime(1);
    expect(b.state).toBe('HALF_OPEN');

    const probe = deferred<string>();
    const probeFn = vi.fn(() => probe.promise);
    const first = b.fire(probeFn);
    const other = vi.fn(ok('other'));
    const concurrent = await Promise.allSettled([b.fire(other), b.fire(other)]);
    expect(probeFn).toHaveBeenCalledTimes(1);
    expect(other).not.toHaveBeenCalled();
    for (const r of concurrent) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'EOPENBREAKER', retryAfterMs: 0 });
    }

    probe.resolve('up');
    await expect(first).resolves.toBe('up');
    expect(b.state).toBe('CLOSED');
    expect(b.stats.openedAt).toBeNull();
    expect(seen).toEqual(['open:CLOSED->OPEN', 'halfOpen:OPEN->HALF_OPEN', 'close:HALF_OPEN->CLOSED']);
  });

  it('a failed probe opens it again with a new reset timer', async () => {
    const b = make();
    const seen = events(b);
    await failTimes(b, 3);
    vi.advanceTimersByTime(1000);
    await failTimes(b, 1);
    expect(b.state).toBe('OPEN');
    const err = await b.fire(ok(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EOPENBREAKER', retryAfterMs: 1000 });
    vi.advanceTimersByTime(999);
    expect(b.state).toBe('OPEN');
    vi.advanceTimersByTime(1);
    expect(b.state).toBe('HALF_OPEN');
    await b.fire(ok(1));
    expect(b.state).toBe('CLOSED');
    expect(seen).toEqual([
      'open:CLOSED->OPEN',
      'halfOpen:OPEN->HALF_OPEN',
      'open:HALF_OPEN->OPEN',
      'halfOpen:OPEN->HALF_OPEN',
      'close:HALF_OPEN->CLOSED',
    ]);
  });

  it('a 4xx probe closes it (the service answered)', async () => {
    const b = make();
    await failTimes(b, 3);
    vi.advanceTimersByTime(1000);
    await expect(b.fire(fail(404))).rejects.toBeInstanceOf(HttpError);
    expect(b.state).toBe('CLOSED');
  });

  it('reset() closes it at once with one event, cancels the reset timer and forgets the streak', async () => {
    const b = make();
    const seen = events(b);
    await failTimes(b, 3);
    b.reset();
    expect(b.state).toBe('CLOSED');
    expect(b.stats.consecutiveFailures).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(b.state).toBe('CLOSED');
    b.reset(); // already closed: no event
    expect(seen).toEqual(['open:CLOSED->OPEN', 'close:OPEN->CLOSED']);
    await failTimes(b, 2);
    expect(b.state).toBe('CLOSED');
  });

  it('emits exactly one event per transition even with late failures of calls started before it opened', async () => {
    const b = make();
    const seen = events(b);
    const late = [deferred<never>(), deferred<never>()];
    const inFlight = late.map((d) => b.fire(() => d.promise).catch(() => undefined));
    await failTimes(b, 3);
    for (const d of late) d.reject(new HttpError(500));
    await Promise.all(inFlight);
    expect(b.state).toBe('OPEN');
    expect(seen).toEqual(['open:CLOSED->OPEN']);
    expect(b.stats.failures).toBe(5);
  });

  it('with enabled: false never opens but still counts', async () => {
    const b = make({ enabled: false });
    const seen = events(b);
    await failTimes(b, 10);
    expect(b.state).toBe('CLOSED');
    expect(seen).toEqual([]);
    expect(b.stats).toMatchObject({ failures: 10, consecutiveFailures: 10 });
  });

  it('counts timeouts and fallbacks the caller reports, and latency of calls', async () => {
    const b = make();
    b.recordTimeout();
    b.recordFallback();
    b.recordFallback();
    for (const ms of [10, 20, 30, 40]) {
      await b.fire(
        () =>
          new Promise((resolve) => {
            setTimeout(resolve, ms);
            vi.advanceTimersByTime(ms);
          }),
      );
    }
    const s = b.stats;
    expect(s).toMatchObject({ timeouts: 1, fallbacks: 2, successes: 4, state: 'CLOSED' });
    expect(s.latency).toEqual({ p50: 20, p95: 40, p99: 40, mean: 25 });
  });

  it('dispose() clears every timer, the OPEN reset timer included', async () => {
    const b = make();
    await failTimes(b, 3);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    b.dispose();
    b.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('forceOpen (admin openBreaker)', () => {
    it('opens a CLOSED breaker at once: one open event, calls refused without calling fn, stats say forced', async () => {
      const b = make();
      const seen = events(b);
      const rejects: BreakerOpenError[] = [];
      b.on('reject', (e) => rejects.push(e));
      expect(b.stats.forced).toBe(false);
      b.forceOpen();
      expect(b.state).toBe('OPEN');
      expect(b.forced).toBe(true);
      expect(b.stats).toMatchObject({ state: 'OPEN', forced: true, openedAt: expect.any(String) });
      expect(seen).toEqual(['open:CLOSED->OPEN']);
      const fn = vi.fn(ok('x'));
      const err = await b.fire(fn).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BreakerOpenError);
      expect(err).toMatchObject({ code: 'EOPENBREAKER', service: 'comment', forced: true, retryAfterMs: 1000 });
      expect(fn).not.toHaveBeenCalled();
      expect(rejects).toHaveLength(1);
      expect(b.stats.rejects).toBe(1);
    });

    it('makes no half-open trial call however long resetTimeoutMs has elapsed', async () => {
      const b = make();
      const seen = events(b);
      b.forceOpen();
      const fn = vi.fn(ok('x'));
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(1000);
        expect(b.state).toBe('OPEN');
        await expect(b.fire(fn)).rejects.toBeInstanceOf(BreakerOpenError);
      }
      vi.advanceTimersByTime(60_000);
      await expect(b.fire(fn)).rejects.toBeInstanceOf(BreakerOpenError);
      expect(fn).not.toHaveBeenCalled();
      expect(b.state).toBe('OPEN');
      expect(seen).toEqual(['open:CLOSED->OPEN']);
    });

    it('holds a breaker that was already OPEN (no second event), and one HALF_OPEN with a probe in flight', async () => {
      const b = make();
      const seen = events(b);
      await failTimes(b, 3);
      b.forceOpen();
      expect(seen).toEqual(['open:CLOSED->OPEN']);
      vi.advanceTimersByTime(5000);
      expect(b.state).toBe('OPEN');

      const c = make();
      const seenC = events(c);
      await failTimes(c, 3);
      vi.advanceTimersByTime(1000);
      expect(c.state).toBe('HALF_OPEN');
      const probe = deferred<string>();
      const inFlight = c.fire(() => probe.promise);
      c.forceOpen();
      expect(c.state).toBe('OPEN');
      // The probe's success no longer closes it: it is held open.
      probe.resolve('late');
      await expect(inFlight).resolves.toBe('late');
      expect(c.state).toBe('OPEN');
      vi.advanceTimersByTime(5000);
      expect(c.state).toBe('OPEN');
      expect(seenC).toEqual(['open:CLOSED->OPEN', 'halfOpen:OPEN->HALF_OPEN', 'open:HALF_OPEN->OPEN']);
    });

    it('reset() ends it: CLOSED, calls go through, and the normal rules apply again', async () => {
      const b = make();
      const seen = events(b);
      b.forceOpen();
      vi.advanceTimersByTime(3000);
      b.reset();
      expect(b.state).toBe('CLOSED');
      expect(b.stats.forced).toBe(false);
      await expect(b.fire(ok('y'))).resolves.toBe('y');
      await failTimes(b, 3);
      expect(b.state).toBe('OPEN');
      vi.advanceTimersByTime(1000);
      expect(b.state).toBe('HALF_OPEN');
      expect(seen).toEqual(['open:CLOSED->OPEN', 'close:OPEN->CLOSED', 'open:CLOSED->OPEN', 'halfOpen:OPEN->HALF_OPEN']);
    });

    it('works with enabled: false (the breaker that never opens by itself)', async () => {
      const b = make({ enabled: false });
      b.forceOpen();
      const fn = vi.fn(ok('x'));
      await expect(b.fire(fn)).rejects.toBeInstanceOf(BreakerOpenError);
      vi.advanceTimersByTime(5000);
      await expect(b.fire(fn)).rejects.toBeInstanceOf(BreakerOpenError);
      expect(fn).not.toHaveBeenCalled();
      b.reset();
      await expect(b.fire(fn)).resolves.toBe('x');
    });
  });

  describe('one state machine, one source of truth', () => {
    it('keeps one reset timer while OPEN, none while CLOSED or forced open (nothing left to schedule)', async () => {
      const b = make();
      expect(vi.getTimerCount()).toBe(0);
      await failTimes(b, 3);
      expect(vi.getTimerCount()).toBe(1);
      b.forceOpen();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(60_000);
      expect(b.state).toBe('OPEN');
      b.reset();
      expect(vi.getTimerCount()).toBe(0);
      expect(b.state).toBe('CLOSED');
    });

    it('its state is the one its events and stats report, at every step', async () => {
      const b = make();
      const states: string[] = [];
      for (const event of ['open', 'halfOpen', 'close'] as const) b.on(event, (t) => states.push(`${t.to}=${b.state}=${b.stats.state}`));
      await failTimes(b, 3);
      vi.advanceTimersByTime(1000);
      await b.fire(ok(1));
      expect(states).toEqual(['OPEN=OPEN=OPEN', 'HALF_OPEN=HALF_OPEN=HALF_OPEN', 'CLOSED=CLOSED=CLOSED']);
    });

    it('refuses calls after dispose() with ESHUTDOWN', async () => {
      const b = make();
      b.dispose();
      await expect(b.fire(ok(1))).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    });
  });

  it('rejects invalid options', () => {
    expect(() => make({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => make({ resetTimeoutMs: -1 })).toThrow(RangeError);
  });
});
