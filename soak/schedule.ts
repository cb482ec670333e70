/**
 * The soak's fault schedule: which fault, on what, from when to when. Pure, so that its
 * scaling with the duration is tested (test/unit/soak-checks.test.ts).
 */
import type { Faults } from '../reference-backends/faults.js';

export const SERVICES = ['auth', 'comment', 'industry', 'nps'] as const;
export type Service = (typeof SERVICES)[number];

export interface ScheduledFault {
  /** What the report calls it. */
  label: string;
  target: Service | 'redis';
  /** The partial fault set through the service's `/__control/faults` (none for Redis). */
  faults?: Partial<Faults>;
  /** Ms from the start of the run. */
  startMs: number;
  endMs: number;
  /**
   * Whether calls to the target may fail while it is in force (a version bump may not: the
   * service still answers; any error it caused would be a defect).
   */
  failing: boolean;
}

export interface Schedule {
  durationMs: number;
  /** Traffic without faults before the first one: caches fill, the heap reaches its plateau. */
  warmupMs: number;
  /** Faults are over from here on: breakers must close and sync come back. */
  quietFromMs: number;
  faults: ScheduledFault[];
}

export const MIN_DURATION_S = 45;

/**
 * Warm-up (10 %, at least 20 s: the heap baseline is taken at its end), faults, then a quiet tail (20 %, at least 20 s: breakers need
 * their reset timeout and a probe, sync a round). Each fault gets a fixed share of the part
 * between, so a longer run holds each fault longer. The comment reset and the NPS hang overlap
 * on purpose: an NPS hang that outlasts a reset on comment is where an independent soak saw
 * comment reported unavailable after it had recovered.
 */
export function buildSchedule(durationMs: number): Schedule {
  if (!(durationMs >= MIN_DURATION_S * 1000)) throw new RangeError(`the soak needs at least ${MIN_DURATION_S} s`);
  const warmupMs = Math.max(20_000, Math.round(durationMs * 0.1));
  const quietFromMs = durationMs - Math.max(20_000, Math.round(durationMs * 0.2));
  const span = quietFromMs - warmupMs;
  const at = (fraction: number) => Math.round(warmupMs + fraction * span);
  const fault = (label: string, target: Service | 'redis', from: number, to: number, faults?: Partial<Faults>, failing = true) => ({
    label,
    target,
    ...(faults ? { faults } : {}),
    startMs: at(from),
    endMs: at(to),
    failing,
  });
  return {
    durationMs,
    warmupMs,
    quietFromMs,
    faults: [
      fault('nps down (no answer, health included)', 'nps', 0, 0.12, { hang: true, healthHang: true }),
      fault('comment resets connections', 'comment', 0.15, 0.27, { reset: true }),
      fault('nps hangs (data calls)', 'nps', 0.21, 0.4, { hang: true }),
      fault('industry slow (1.5 s per answer)', 'industry', 0.43, 0.55, { latencyMs: 1500 }),
      fault('auth answers 500', 'auth', 0.58, 0.68, { failStatus: 500 }),
      fault('comment version bump to 1.1.0 and back', 'comment', 0.71, 0.81, { version: '1.1.0' }, false),
      fault('redis restart (killed, started again on its port)', 'redis', 0.84, 0.92),
    ],
  };
}

/** `600`, `90s`, `10m`, `1m30s` → milliseconds; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return undefined;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}
