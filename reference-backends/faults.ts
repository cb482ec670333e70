/**
 * Fault injection for one reference service.
 *
 * Two scopes, so data calls and monitors can be tested separately:
 * - data faults (`latencyMs`, `failStatus`/`failCount`/`retryAfter`, `reset`, `hang`) act on
 *   every `/api/*` request EXCEPT `/api/shared-knowledge/status`;
 * - monitor faults (`healthLatencyMs`, `healthHang`) act on `GET /health` and
 *   `/api/shared-knowledge/status`; `unhealthy` turns `/health` into a 503 and `statusRoute:
 *   false` turns the status route into a 404.
 * `version` is what the service reports (header, /health, status route).
 */

export interface Faults {
  /** Added before answering every data request (default 0, or the service's configured latency). */
  latencyMs: number;
  /** Answer data requests with this status and `{"error":"injected","message":...}` (400..599). */
  failStatus: number | null;
  /** With `failStatus`: fail only the next N data requests, then serve normally (null: until cleared). */
  failCount: number | null;
  /** With `failStatus`: the `Retry-After` header of injected failures. */
  retryAfter: string | null;
  /** Destroy the socket of data requests without answering (TCP reset). */
  reset: boolean;
  /** Accept data requests and never answer, until the fault is cleared (then they are served) or the server closes. */
  hang: boolean;
  /** The reported shared knowledge version (default '1.0.0'); null: report none. */
  version: string | null;
  /** `GET /health` answers `503 {"status":"unhealthy",...}`. */
  unhealthy: boolean;
  /** Whether `/api/shared-knowledge/status` exists (false: 404). */
  statusRoute: boolean;
  /** Added before answering `/health` and the status route. */
  healthLatencyMs: number;
  /** `/health` and the status route never answer, until cleared or the server closes. */
  healthHang: boolean;
}

export interface FaultController {
  /** A frozen snapshot of the faults in force. */
  readonly current: Readonly<Faults>;
  /** Merges a validated partial; throws a TypeError naming the bad key otherwise. Returns the new state. */
  set(partial: Partial<Faults>): Readonly<Faults>;
  /** Back to the service's defaults (as configured at start). */
  reset(): Readonly<Faults>;
}

export const BASE_FAULTS: Readonly<Faults> = Object.freeze({
  latencyMs: 0,
  failStatus: null,
  failCount: null,
  retryAfter: null,
  reset: false,
  hang: false,
  version: '1.0.0',
  unhealthy: false,
  statusRoute: true,
  healthLatencyMs: 0,
  healthHang: false,
});

type Check = (value: unknown) => string | null;

const MAX_DELAY_MS = 600_000;
const delay: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_DELAY_MS ? null : `an integer 0..${MAX_DELAY_MS}`;
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'a boolean');
// Header values: printable, no CR/LF (Node would throw on them).
const headerText = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 200 && /^[\x20-\x7e]+$/.test(v);

const CHECKS: Record<keyof Faults, Check> = {
  latencyMs: delay,
  failStatus: (v) =>
    v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599) ? null : 'null or an integer 400..599',
  failCount: (v) => (v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1) ? null : 'null or an integer >= 1'),
  retryAfter: (v) => (v === null || headerText(v) ? null : 'null or a non-empty printable ASCII string'),
  reset: bool,
  hang: bool,
  version: (v) => (v === null || headerText(v) ? null : 'null or a non-empty printable ASCII string'),
  unhealthy: bool,
  statusRoute: bool,
  healthLatencyMs: delay,
  healthHang: bool,
};

export const FAULT_KEYS = Object.freeze(Object.keys(CHECKS) as (keyof Faults)[]);

/** Validates an untrusted partial (e.g. a control request body): one message naming every bad key. */
export function validateFaults(input: unknown): { ok: true; value: Partial<Faults> } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, message: 'faults must be a JSON object' };
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    const check = (CHECKS as Record<string, Check>)[key];
    if (!check) {
      problems.push(`unknown fault "${key}" (known: ${FAULT_KEYS.join(', ')})`);
      continue;
    }
    const expected = check(value);
    if (expected) problems.push(`${key} must be ${expected}`);
  }
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true, value: input as Partial<Faults> };
}

export type FaultListener = (current: Readonly<Faults>, previous: Readonly<Faults>) => void;

/** The fault state of one service. Private state, one `change` notification per transition. */
export class FaultState implements FaultController {
  #defaults: Readonly<Faults>;
  #current: Readonly<Faults>;
  readonly #listeners = new Set<FaultListener>();

  constructor(defaults: Partial<Faults> = {}) {
    const checked = validateFaults(defaults);
    if (!checked.ok) throw new TypeError(`invalid default faults: ${checked.message}`);
    this.#defaults = Object.freeze({ ...BASE_FAULTS, ...checked.value });
    this.#current = this.#defaults;
  }

  get current(): Readonly<Faults> {
    return this.#current;
  }

  get defaults(): Readonly<Faults> {
    return this.#defaults;
  }

  set(partial: Partial<Faults>): Readonly<Faults> {
    const checked = validateFaults(partial);
    if (!checked.ok) throw new TypeError(checked.message);
    this.#transition({ ...this.#current, ...checked.value });
    return this.#current;
  }

  reset(): Readonly<Faults> {
    this.#transition(this.#defaults);
    return this.#current;
  }

  /**
   * Called once per data request: the injected failure to answer with, if any. Counts down
   * `failCount` and clears `failStatus` once it reaches zero.
   */
  takeFailure(): { status: number; retryAfter: string | null } | null {
    const { failStatus, failCount, retryAfter } = this.#current;
    if (failStatus === null) return null;
    if (failCount !== null) {
      this.#transition(
        failCount <= 1 ? { ...this.#current, failStatus: null, failCount: null } : { ...this.#current, failCount: failCount - 1 },
      );
    }
    return { status: failStatus, retryAfter };
  }

  onChange(listener: FaultListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #transition(next: Faults): void {
    const previous = this.#current;
    this.#current = Object.isFrozen(next) ? next : Object.freeze(next);
    for (const listener of this.#listeners) listener(this.#current, previous);
  }
}
