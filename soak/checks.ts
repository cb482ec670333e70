/**
 * The soak's verdicts, as pure functions over what the run recorded (answers, replica log
 * lines, final states), so that each rule is tested on its own (test/unit/soak-checks.test.ts).
 */
import type { ScheduledFault, Service } from './schedule.js';

export type RequestKind = 'dashboard' | 'dashboard-rest' | 'users-batch' | 'passthrough-read' | 'passthrough-write' | 'admin';

/** A service-level error an answer reported (GraphQL `extensions`, a REST body, a dashboard's `errors`/`degraded`). */
export interface ServiceReport {
  service: Service;
  /** The code, or `degraded` when the service was only listed in `degraded` (a stale part stood in). */
  code: string;
}

/** One request of the soak and what came back. Times in ms from the start of the run. */
export interface Answer {
  kind: RequestKind;
  replica: number;
  what: string;
  startMs: number;
  endMs: number;
  /** HTTP status; null when no answer came (a lost request). */
  status: number | null;
  /** Why no answer came. */
  lost?: string;
  /** Every error code in the answer (GraphQL errors, REST `error`). */
  codes: string[];
  /** The services the answer says failed. */
  reports: ServiceReport[];
  /** Dashboards: why the answer is neither complete nor degraded with a coded error naming the failed service. */
  dashboardProblem?: string;
  /** The first error message in the answer, for the report. */
  message?: string;
  /** Passthrough: the 4xx/5xx is the backend's own answer, relayed (its error is not a gateway code). */
  relayedFrom?: Service;
}

/** One breaker state change a replica logged. */
export interface BreakerEvent {
  replica: number;
  service: Service;
  atMs: number;
  to: 'OPEN' | 'HALF_OPEN' | 'CLOSED';
}

export interface Interval {
  fromMs: number;
  toMs: number;
}

/** The upstream codes a service-level report may carry (docs/errors.md). */
export const UPSTREAM_CODES = new Set(['SERVICE_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_ERROR']);

/** Intervals during which each replica's breaker of each service was not CLOSED. */
export function breakerOpenIntervals(events: readonly BreakerEvent[], endMs: number): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  const openSince = new Map<string, number>();
  for (const e of [...events].sort((a, b) => a.atMs - b.atMs)) {
    const key = `${e.replica}:${e.service}`;
    if (e.to === 'CLOSED') {
      const since = openSince.get(key);
      if (since !== undefined) {
        out.set(key, [...(out.get(key) ?? []), { fromMs: since, toMs: e.atMs }]);
        openSince.delete(key);
      }
    } else if (!openSince.has(key)) {
      openSince.set(key, e.atMs);
    }
  }
  for (const [key, since] of openSince) out.set(key, [...(out.get(key) ?? []), { fromMs: since, toMs: endMs }]);
  return out;
}

const overlaps = (a: Interval, b: Interval) => a.fromMs <= b.toMs && b.fromMs <= a.toMs;

/**
 * Whether a service's failure in an answer is explained: a failing fault on that service was in
 * force at some time during the request (its end stretched by `graceMs`: a call that began just
 * before the fault was cleared may still end in it), or that replica's breaker of the service
 * was not CLOSED during the request. Anything else is a false report: the service was up and
 * the gateway said it was not.
 */
export function explainReport(
  answer: Pick<Answer, 'replica' | 'startMs' | 'endMs'>,
  service: Service,
  faults: readonly ScheduledFault[],
  breakers: Map<string, Interval[]>,
  graceMs: number,
): string | null {
  const during = { fromMs: answer.startMs, toMs: answer.endMs };
  const fault = faults.find((f) => f.failing && f.target === service && overlaps({ fromMs: f.startMs, toMs: f.endMs + graceMs }, during));
  if (fault) return `fault: ${fault.label}`;
  if ((breakers.get(`${answer.replica}:${service}`) ?? []).some((i) => overlaps(i, during))) return 'breaker open';
  return null;
}

export interface FalseReport {
  answer: Answer;
  service: Service;
  code: string;
  /** Ms since the last failing fault on that service ended (null: it never had one before). */
  sinceFaultEndMs: number | null;
}

export function falseReports(
  answers: readonly Answer[],
  faults: readonly ScheduledFault[],
  breakers: Map<string, Interval[]>,
  graceMs: number,
): FalseReport[] {
  const out: FalseReport[] = [];
  for (const answer of answers) {
    for (const report of answer.reports) {
      if (explainReport(answer, report.service, faults, breakers, graceMs)) continue;
      const ended = faults.filter((f) => f.failing && f.target === report.service && f.endMs <= answer.startMs).map((f) => f.endMs);
      out.push({
        answer,
        service: report.service,
        code: report.code,
        sinceFaultEndMs: ended.length ? answer.startMs - Math.max(...ended) : null,
      });
    }
  }
  return out;
}

/**
 * A gateway 5xx is explained when it carries a documented code that says an upstream failed
 * (and names it), or when it is a backend's own 5xx relayed by passthrough. An
 * `INTERNAL_SERVER_ERROR`, an undocumented code or a bare 5xx is not.
 */
export function unexplained5xx(answers: readonly Answer[], documented: ReadonlySet<string>): Answer[] {
  return answers.filter((a) => {
    if (a.status === null || a.status < 500) return false;
    if (a.relayedFrom) return false;
    if (a.codes.length === 0) return true;
    return a.codes.some((c) => !documented.has(c) || c === 'INTERNAL_SERVER_ERROR');
  });
}

/** The codes of the table in docs/errors.md. */
export function documentedCodes(errorsMd: string): Set<string> {
  return new Set([...errorsMd.matchAll(/^\| `([A-Z_]+)` \| \d{3} \|/gm)].map((m) => m[1]!));
}

/** `2xx`, `4xx`, `5xx` or `lost`. */
export function classOf(status: number | null): string {
  return status === null ? 'lost' : `${Math.floor(status / 100)}xx`;
}

/**
 * Heap growth over the run, per replica, as a fraction of the baseline: one reading of the heap
 * used right after full collections with the traffic paused at the end of the warm-up
 * (`baseline`) against one such reading at the end (`final`). Infinity when the baseline is not
 * a positive number (a reading that failed is NaN).
 */
export function heapGrowth(baseline: number, final: number): number {
  return baseline > 0 ? (final - baseline) / baseline : Infinity;
}

/** A replica's log line at error level or above, or one about an unhandled rejection/exception. */
export interface BadLogLine {
  replica: number;
  atMs: number;
  level: number;
  msg: string;
  /** The upstream service the line is about, when it names one. */
  service?: string;
}

/**
 * A fault's expected consequences at error level: the sync monitor logs a service that became
 * `unreachable` (or worse) as an error, which it must while that service is faulted. Anything
 * else at error level (an unexpected error in a request or the sync loop, an unhandled
 * rejection, a failed shutdown) is not expected whatever the faults.
 */
export function unexpectedLogLines(lines: readonly BadLogLine[], faults: readonly ScheduledFault[], graceMs: number): BadLogLine[] {
  return lines.filter(
    (l) =>
      !(
        l.msg.startsWith('sync state changed') &&
        faults.some((f) => f.failing && f.target === l.service && l.atMs >= f.startMs && l.atMs <= f.endMs + graceMs)
      ),
  );
}
