import { EventEmitter } from 'node:events';
import { LatencyWindow, type LatencySummary } from './latency-window.js';

/** The states of a {@link ServiceBreaker} (also the GraphQL enum `BreakerState`). */
export const BREAKER_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Options of a {@link ServiceBreaker}. */
export interface ServiceBreakerOptions {
  /** The upstream service it guards; carried by its errors and events. */
  name: string;
  /** Consecutive failed calls that open it (`CIRCUIT_BREAKER_FAILURE_THRESHOLD`). */
  failureThreshold: number;
  /** How long it stays OPEN before letting one probe through (`CIRCUIT_BREAKER_RESET_TIMEOUT`). */
  resetTimeoutMs: number;
  /** `false`: never opens, still counts (`CIRCUIT_BREAKER_ENABLED`). Default `true`. */
  enabled?: boolean;
  /**
   * Whether an error counts against the service. Errors it rejects (a 4xx) count as a success
   * for the breaker and are rethrown unchanged. Default: every error is a failure.
   */
  isFailure?: (err: unknown) => boolean;
  /** How many recent calls the latency percentiles cover. Default 1000. */
  latencySamples?: number;
}

/** A snapshot of one breaker, for `/api/gateway/stats` and metrics. Counters are cumulative. */
export interface BreakerStats {
  state: BreakerState;
  /** Held OPEN by an admin (`openBreaker`) until a reset: no half-open trial call is made. */
  forced: boolean;
  failures: number;
  /** Successful calls, including errors `isFailure` rejected (a 4xx). */
  successes: number;
  /** Calls refused without reaching the service. */
  rejects: number;
  /** Counted by the caller through {@link ServiceBreaker.recordTimeout}. */
  timeouts: number;
  /** Counted by the caller through {@link ServiceBreaker.recordFallback}. */
  fallbacks: number;
  consecutiveFailures: number;
  /** When it last opened (ISO 8601) while not CLOSED; `null` when CLOSED. */
  openedAt: string | null;
  /** Over the last `latencySamples` calls that reached the service, in ms. */
  latency: LatencySummary;
}

/** What every transition event carries. */
export interface BreakerTransition {
  service: string;
  from: BreakerState;
  to: BreakerState;
}

/** The events of a {@link ServiceBreaker}: exactly one per transition, plus one per refused call. */
export interface ServiceBreakerEvents {
  open: [BreakerTransition];
  halfOpen: [BreakerTransition];
  close: [BreakerTransition];
  reject: [BreakerOpenError];
}

/** A call refused because the breaker of its service is open (or probing). Code `EOPENBREAKER`. */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER' as const;

  constructor(
    readonly service: string,
    /** Time until the breaker lets a probe through; 0 while a probe is already in flight. */
    readonly retryAfterMs: number,
    /** Refused because an admin forced the breaker open (maintenance), not because the service failed. */
    readonly forced = false,
  ) {
    super(`Circuit breaker for ${service} is open`);
    this.name = 'BreakerOpenError';
  }
}

const EVENT_OF: Record<BreakerState, 'open' | 'halfOpen' | 'close'> = { OPEN: 'open', HALF_OPEN: 'halfOpen', CLOSED: 'close' };

/**
 * The circuit breaker of one upstream service: a small state machine of its own (opossum's
 * shape: private state, read-only getters, exactly one event per transition, an `unref`ed
 * timer cleared on dispose). Owned outright rather than over opossum, whose opening rule is an
 * error percentage over a rolling window: this breaker's rule is consecutive failures, and
 * mirroring opossum's state beside ours kept two sources of truth.
 *
 * Opens after `failureThreshold` consecutive failures (a success in between resets the
 * count); while OPEN it refuses calls at once with a {@link BreakerOpenError}; after
 * `resetTimeoutMs` it goes HALF_OPEN and lets exactly one probe through (concurrent calls are
 * refused): its success closes the breaker, its failure opens it again for another
 * `resetTimeoutMs`.
 *
 * A call that started before the breaker opened and settles while it is HALF_OPEN is taken as
 * the probe's verdict (opossum's rule): it is as fresh a sign of the service's health.
 *
 * {@link forceOpen} (admin maintenance) holds it OPEN until {@link reset}: calls are refused
 * and no half-open probe is ever let through, whatever `resetTimeoutMs` says.
 */
export class ServiceBreaker extends EventEmitter<ServiceBreakerEvents> {
  /** The service it guards. */
  readonly name: string;
  readonly #threshold: number;
  readonly #resetTimeoutMs: number;
  readonly #enabled: boolean;
  readonly #isFailure: (err: unknown) => boolean;
  readonly #latency: LatencyWindow;
  #state: BreakerState = 'CLOSED';
  /** HALF_OPEN: whether its one probe has been let through. */
  #probing = false;
  #resetTimer: NodeJS.Timeout | undefined;
  #openedAt: number | null = null;
  #consecutiveFailures = 0;
  #successes = 0;
  #failures = 0;
  #rejects = 0;
  #timeouts = 0;
  #fallbacks = 0;
  #forced = false;
  #disposed = false;

  constructor(opts: ServiceBreakerOptions) {
    super();
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${opts.failureThreshold}`);
    }
    if (!Number.isFinite(opts.resetTimeoutMs) || opts.resetTimeoutMs < 0) {
      throw new RangeError(`resetTimeoutMs must be a non-negative number, got ${opts.resetTimeoutMs}`);
    }
    this.name = opts.name;
    this.#threshold = opts.failureThreshold;
    this.#resetTimeoutMs = opts.resetTimeoutMs;
    this.#enabled = opts.enabled !== false;
    this.#isFailure = opts.isFailure ?? (() => true);
    this.#latency = new LatencyWindow(opts.latencySamples);
  }

  /** The current state. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Whether an admin holds it open ({@link forceOpen}) until the next {@link reset}. */
  get forced(): boolean {
    return this.#forced;
  }

  /** A snapshot of the counters and latency. */
  get stats(): BreakerStats {
    return {
      state: this.#state,
      forced: this.#forced,
      failures: this.#failures,
      successes: this.#successes,
      rejects: this.#rejects,
      timeouts: this.#timeouts,
      fallbacks: this.#fallbacks,
      consecutiveFailures: this.#consecutiveFailures,
      openedAt: this.#openedAt === null ? null : new Date(this.#openedAt).toISOString(),
      latency: this.#latency.summary(),
    };
  }

  /**
   * Runs `fn` through the breaker. Rejects at once with a {@link BreakerOpenError} (without
   * calling `fn`) while OPEN, or while HALF_OPEN with its probe in flight; otherwise settles
   * as `fn` does, with `fn`'s own error. After {@link dispose}, rejects with code `ESHUTDOWN`.
   */
  fire<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#disposed) return Promise.reject(Object.assign(new Error('The circuit has been shutdown.'), { code: 'ESHUTDOWN' }));
    if (this.#state === 'OPEN' || (this.#state === 'HALF_OPEN' && this.#probing)) return Promise.reject(this.#reject());
    if (this.#state === 'HALF_OPEN') this.#probing = true;
    const started = Date.now();
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (err) {
      pending = Promise.reject(err as Error);
    }
    // One `then` rather than an async frame around `fn`: every upstream call passes here.
    return pending.then(
      (result) => {
        this.#onSuccess(Date.now() - started);
        return result;
      },
      (err: unknown) => {
        if (this.#isFailure(err)) this.#onFailure(Date.now() - started);
        else this.#onSuccess(Date.now() - started);
        throw err;
      },
    );
  }

  /** Counts a call the caller gave up on for lack of time (its failure is counted by `fire`). */
  recordTimeout(): void {
    this.#timeouts++;
  }

  /** Counts a call the caller answered some other way (a stale cache entry). */
  recordFallback(): void {
    this.#fallbacks++;
  }

  /** Closes the breaker now (admin `resetBreaker`), ends a {@link forceOpen} and forgets the failure streak. */
  reset(): void {
    if (this.#disposed) return;
    this.#forced = false;
    this.#consecutiveFailures = 0;
    this.#moveTo('CLOSED');
  }

  /**
   * Opens the breaker now and holds it OPEN until {@link reset} (admin `openBreaker`, to take a
   * service out of rotation): every call is refused with a {@link BreakerOpenError}, and no
   * half-open trial call is made when `resetTimeoutMs` elapses. Works with `enabled: false` too.
   */
  forceOpen(): void {
    if (this.#disposed) return;
    this.#forced = true;
    // From CLOSED or HALF_OPEN: one 'open' transition. Already OPEN: nothing to emit.
    this.#moveTo('OPEN');
    this.#clearResetTimer();
  }

  /** Clears the reset timer; idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#clearResetTimer();
  }

  #onSuccess(latencyMs: number): void {
    this.#successes++;
    this.#consecutiveFailures = 0;
    this.#latency.record(latencyMs);
    if (this.#state === 'HALF_OPEN') this.#moveTo('CLOSED');
  }

  #onFailure(latencyMs: number): void {
    this.#failures++;
    this.#consecutiveFailures++;
    this.#latency.record(latencyMs);
    if (this.#disposed) return;
    if (this.#state === 'HALF_OPEN' || (this.#enabled && this.#state === 'CLOSED' && this.#consecutiveFailures >= this.#threshold))
      this.#moveTo('OPEN');
  }

  #moveTo(to: BreakerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#probing = false;
    this.#clearResetTimer();
    if (to === 'OPEN') {
      this.#openedAt = Date.now();
      // Held open by an admin: no half-open probe, so no timer.
      if (!this.#forced) {
        this.#resetTimer = setTimeout(() => this.#moveTo('HALF_OPEN'), this.#resetTimeoutMs);
        this.#resetTimer.unref();
      }
    }
    if (to === 'CLOSED') {
      this.#openedAt = null;
      this.#consecutiveFailures = 0;
    }
    this.emit(EVENT_OF[to], { service: this.name, from, to });
  }

  #clearResetTimer(): void {
    clearTimeout(this.#resetTimer);
    this.#resetTimer = undefined;
  }

  #reject(): BreakerOpenError {
    const rejection = new BreakerOpenError(this.name, this.#retryAfterMs(), this.#forced);
    this.#rejects++;
    this.emit('reject', rejection);
    return rejection;
  }

  #retryAfterMs(): number {
    // Held open until an admin resets it: no known end, so hint one reset period.
    if (this.#forced) return this.#resetTimeoutMs;
    if (this.#state !== 'OPEN' || this.#openedAt === null) return 0;
    return Math.max(0, this.#openedAt + this.#resetTimeoutMs - Date.now());
  }
}
