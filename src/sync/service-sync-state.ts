import { EventEmitter } from 'node:events';
import type { ServiceName } from '../config/index.js';
import type { ProbeResult } from './health-probe.js';
import type { SyncClock } from './sync-clock.js';
import { classify, type BaseSyncState, type ServiceSync, type SyncState } from './sync-states.js';

/** State changes kept per service (oldest dropped first). */
export const HISTORY_LIMIT = 50;

/** One entry of a service's state history. */
export interface SyncHistoryEntry {
  at: string;
  /** null for the first check. */
  from: SyncState | null;
  state: SyncState;
  version: string | null;
  expectedVersion: string;
  error: string | null;
}

/** One transition of one service, as {@link ServiceSyncState} emits it. */
export interface SyncTransition {
  service: ServiceName;
  /** null: the first check established the state. */
  previousState: SyncState | null;
  state: SyncState;
  /** The service's sync right after the transition. */
  sync: ServiceSync;
  /** When it happened (clock ms). */
  at: number;
}

export interface ServiceSyncStateOptions {
  name: ServiceName;
  clock: SyncClock;
  /** The expected version now (auto-update may move it). */
  expectedVersion: () => string;
  warningThresholdMs: number;
  criticalThresholdMs: number;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * The sync state machine of one service (opossum style: private state, read-only getters,
 * exactly one `transition` event per change of state, never one per input). Inputs: a
 * check's result, a version seen on a response header, a new expected version. Escalation
 * to `warning`/`critical` is timed from `outOfSyncSince` by a timer of its own, so it
 * happens exactly at the thresholds, not at the next check.
 */
export class ServiceSyncState extends EventEmitter<{ transition: [SyncTransition] }> {
  readonly name: ServiceName;
  readonly #opts: ServiceSyncStateOptions;
  /** Not checked yet. */
  #pending = true;
  #version: string | null = null;
  #lastUpdated: number | string | null = null;
  #lastCheckedAt: number | null = null;
  #healthy: boolean | null = null;
  #base: BaseSyncState = 'unknown';
  #baseError: string | null = 'not checked yet';
  #state: SyncState = 'unknown';
  #error: string | null = 'not checked yet';
  #outOfSyncSince: number | null = null;
  #escalation: unknown;
  #closed = false;
  readonly #history: SyncHistoryEntry[] = [];

  constructor(opts: ServiceSyncStateOptions) {
    super();
    this.#opts = opts;
    this.name = opts.name;
  }

  /** Not checked (nor seen on a header) yet. */
  get pending(): boolean {
    return this.#pending;
  }

  get version(): string | null {
    return this.#version;
  }

  /** The state of the last check alone, before escalation. */
  get base(): BaseSyncState {
    return this.#base;
  }

  /** Whether `/health` answered 2xx at the last check (null before the first). */
  get healthy(): boolean | null {
    return this.#healthy;
  }

  get history(): readonly SyncHistoryEntry[] {
    return this.#history;
  }

  /** A check's result. */
  applyProbe(result: ProbeResult): void {
    const now = this.#opts.clock.now();
    this.#lastCheckedAt = now;
    this.#healthy = result.reachable && result.healthy;
    if (result.reachable) {
      if (result.lastUpdated !== null) this.#lastUpdated = result.lastUpdated;
      else if (result.version !== this.#version) this.#lastUpdated = now;
      this.#version = result.version;
    }
    const { state, error } = classify(result, this.#opts.expectedVersion());
    this.#base = state;
    this.#baseError =
      result.reachable && !result.healthy && state !== 'in_sync' ? `${error} (health check answered HTTP ${result.healthStatus})` : error;
    this.evaluate();
  }

  /** A version seen on a response (passive detection). */
  observeVersion(version: string | null): void {
    this.#version = version;
    this.#lastUpdated = this.#opts.clock.now();
    this.#classifyReachable();
  }

  /** The expected version moved: a reachable, checked service is classified again. */
  reclassify(): void {
    if (this.#pending || this.#base === 'unreachable') return;
    this.#classifyReachable();
  }

  /** Applies escalation as of now (it is a function of time); emits on a change. */
  evaluate(): void {
    const now = this.#opts.clock.now();
    const { warningThresholdMs, criticalThresholdMs } = this.#opts;
    let state: SyncState = this.#base;
    let error = this.#baseError;
    if (this.#base === 'in_sync') {
      this.#outOfSyncSince = null;
    } else {
      this.#outOfSyncSince ??= now;
      const elapsed = now - this.#outOfSyncSince;
      if (elapsed >= criticalThresholdMs) state = 'critical';
      else if (elapsed >= warningThresholdMs) state = 'warning';
      if (state !== this.#base) error = `${this.#baseError} — not in sync for ${duration(elapsed)}`;
    }
    this.#error = error;
    const first = this.#pending;
    this.#pending = false;
    if (first || state !== this.#state) this.#transition(first ? null : this.#state, state, now);
    this.#armEscalation();
  }

  /** The service's sync, as `gateway.md` defines `ServiceSync`. */
  sync(): ServiceSync {
    return {
      name: this.name,
      version: this.#version,
      expectedVersion: this.#opts.expectedVersion(),
      state: this.#state,
      outOfSyncSince: iso(this.#outOfSyncSince),
      lastUpdated: typeof this.#lastUpdated === 'number' ? iso(this.#lastUpdated) : this.#lastUpdated,
      lastCheckedAt: iso(this.#lastCheckedAt),
      error: this.#error,
    };
  }

  /** Clears the escalation timer; no event after this. */
  close(): void {
    this.#closed = true;
    this.#opts.clock.clearTimeout(this.#escalation);
    this.#escalation = undefined;
  }

  #classifyReachable(): void {
    const { state, error } = classify({ reachable: true, version: this.#version }, this.#opts.expectedVersion());
    this.#base = state;
    this.#baseError = error;
    this.evaluate();
  }

  #armEscalation(): void {
    const clock = this.#opts.clock;
    clock.clearTimeout(this.#escalation);
    this.#escalation = undefined;
    if (this.#closed || this.#outOfSyncSince === null || this.#state === 'critical') return;
    const due = this.#outOfSyncSince + (this.#state === 'warning' ? this.#opts.criticalThresholdMs : this.#opts.warningThresholdMs);
    this.#escalation = clock.setTimeout(
      () => {
        this.#escalation = undefined;
        this.evaluate();
      },
      Math.max(0, due - clock.now()),
    );
  }

  #transition(previous: SyncState | null, next: SyncState, now: number): void {
    this.#state = next;
    this.#history.push({
      at: iso(now)!,
      from: previous,
      state: next,
      version: this.#version,
      expectedVersion: this.#opts.expectedVersion(),
      error: this.#error,
    });
    if (this.#history.length > HISTORY_LIMIT) this.#history.splice(0, this.#history.length - HISTORY_LIMIT);
    this.emit('transition', { service: this.name, previousState: previous, state: next, sync: this.sync(), at: now });
  }
}
