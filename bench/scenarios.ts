/**
 * The scenarios as data (docs/benchmark.md): what each one loads, how its backends behave, and
 * the targets its figures are held against. `bench/run.ts` measures them in this order.
 */
import { S3_IDS } from './queries.js';

export type ScenarioName = 'S1' | 'S1-persisted' | 'S2' | 'S3' | 'S4';
/** The figures a target can be held against. */
export type Metric = 'rpsRatio' | 'p99Ratio' | 'peakRssMB' | 'backendRequestsPerQuery' | 'yogaRpsRatio' | 'allocKB';

export interface Target {
  name: string;
  metric: Metric;
  /** As the report prints it. */
  target: string;
  met(value: number): boolean;
}

export interface Scenario {
  name: ScenarioName;
  title: string;
  /** What the gateway is sent: S1's dashboard as text or by hash, or S3's users query. */
  load: 'dashboard' | 'dashboard-persisted' | 'users';
  /** Latency every backend adds to a data request. */
  backendLatencyMs: number;
  /** The gateway's data cache (S4 only). */
  cache: boolean;
  targets: Target[];
}

/** Issue 18: the gateway against plain Yoga + DataLoader in the same rounds (`--yoga`; not judged without it). */
const yoga = (min: number): Target => ({
  name: 'gateway RPS / plain Yoga RPS',
  metric: 'yogaRpsRatio',
  target: `≥ ${min}`,
  met: (v) => v >= min,
});
const rps = (min: number): Target => ({ name: 'gateway RPS / floor RPS', metric: 'rpsRatio', target: `≥ ${min}`, met: (v) => v >= min });

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'S1',
    title: 'userDashboard, rotating users, cache off, backends 0 ms',
    load: 'dashboard',
    backendLatencyMs: 0,
    cache: false,
    // Issue 18's targets (RSS 250 → 200 MB, RPS 0.55 → 0.6 and ≥ 1.2 × plain Yoga, allocation).
    targets: [
      rps(0.6),
      yoga(1.2),
      { name: 'gateway p99 / floor p99', metric: 'p99Ratio', target: '≤ 2', met: (v) => v <= 2 },
      { name: 'gateway peak RSS (MB)', metric: 'peakRssMB', target: '≤ 200', met: (v) => v <= 200 },
      { name: 'KB allocated per request (--alloc)', metric: 'allocKB', target: '≤ 100', met: (v) => v <= 100 },
    ],
  },
  {
    name: 'S1-persisted',
    title: "S1's dashboard sent by hash (persisted operation), cache off, backends 0 ms",
    load: 'dashboard-persisted',
    backendLatencyMs: 0,
    cache: false,
    targets: [rps(0.7)],
  },
  { name: 'S2', title: 'S1 with 5 ms backend latency', load: 'dashboard', backendLatencyMs: 5, cache: false, targets: [rps(0.6)] },
  {
    name: 'S3',
    title: `users(ids: ${S3_IDS} ids), cache off, backends 0 ms`,
    load: 'users',
    backendLatencyMs: 0,
    cache: false,
    targets: [
      { name: 'backend requests per GraphQL request', metric: 'backendRequestsPerQuery', target: '≤ 5', met: (v) => v <= 5 },
      rps(0.4),
      yoga(2),
    ],
  },
  {
    name: 'S4',
    title: 'S1 with the cache on (steady state, all hits)',
    load: 'dashboard',
    backendLatencyMs: 0,
    cache: true,
    targets: [rps(1.5)],
  },
];

/** `--only s1,S1-persisted`: names compared without regard to case. */
export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name.toUpperCase() === name.trim().toUpperCase());
}

/** The scenario's targets with the run's figures (null: not measured, e.g. RSS off Linux). */
export function judge(
  scenario: Scenario,
  values: Partial<Record<Metric, number | null>>,
): Array<{ name: string; value: number | null; target: string; met: boolean | null }> {
  return scenario.targets.map((t) => {
    const value = values[t.metric] ?? null;
    return { name: t.name, value, target: t.target, met: value === null ? null : t.met(value) };
  });
}
