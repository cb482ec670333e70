/** Load generation (autocannon, programmatic) and the per-round and per-target summaries. */
import os from 'node:os';
import autocannon from 'autocannon';
import { flags } from './cli.js';
import { procCpuS, procMemMB } from './processes.js';

export interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, socket errors, timeouts, and 200s carrying GraphQL errors or a degraded part. */
  failed: number;
  /** CPU seconds per wall second of each process during the round (1.0 = one full core). */
  cpu: Record<string, number | null>;
  /** The machine's 1-minute load average at the end of the round: above ~2 (cores), something else competed. */
  loadavg1: number;
  /** Highest VmRSS sampled during the round (gateway rounds only). */
  rssMaxMB?: number | null;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Called per request: path and body. */
  next(): { path: string; body?: string; headers?: Record<string, string> };
  /** true when the 2xx body still counts as a failure. */
  bad?(body: string): boolean;
}

export async function load(
  spec: LoadSpec,
  opts: { durationS?: number; amount?: number; connections: number; watch?: Record<string, number> },
): Promise<RoundResult> {
  let failedBodies = 0;
  const cpuBefore: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(opts.watch ?? {})) cpuBefore[name] = procCpuS(pid);
  const selfBefore = process.cpuUsage();
  const t0 = performance.now();
  let rssMax: number | null = null;
  const gatewayPid = opts.watch?.gateway;
  const sampler =
    gatewayPid === undefined
      ? null
      : setInterval(() => {
          const rss = procMemMB(gatewayPid, 'VmRSS');
          if (rss !== null) rssMax = Math.max(rssMax ?? 0, rss);
        }, 200);

  const result = await autocannon({
    url: spec.url,
    connections: opts.connections,
    ...(opts.amount !== undefined ? { amount: opts.amount } : { duration: opts.durationS ?? 1 }),
    method: spec.method,
    headers: spec.headers ?? {},
    requests: [
      {
        setupRequest: (req: autocannon.Request) => {
          const n = spec.next();
          const headers = { ...spec.headers, ...n.headers, ...(flags.compressed ? { 'accept-encoding': 'gzip, deflate, br' } : {}) };
          return { ...req, method: spec.method, path: n.path, ...(n.body !== undefined ? { body: n.body } : {}), headers };
        },
        ...(spec.bad
          ? {
              onResponse: (status: number, body: string) => {
                if (status >= 200 && status < 300 && spec.bad!(body)) failedBodies++;
              },
            }
          : {}),
      },
    ],
  } as autocannon.Options);
  if (sampler) clearInterval(sampler);

  const wallS = (performance.now() - t0) / 1000;
  const cpu: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(opts.watch ?? {})) {
    const after = procCpuS(pid);
    const before = cpuBefore[name];
    cpu[name] = after === null || before === null || before === undefined ? null : round2((after - before) / wallS);
  }
  const self = process.cpuUsage(selfBefore);
  cpu.loadgen = round2((self.user + self.system) / 1e6 / wallS);
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts + failedBodies,
    cpu,
    ...(gatewayPid !== undefined ? { rssMaxMB: rssMax } : {}),
    loadavg1: round2(os.loadavg()[0] ?? 0),
  };
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface Summary {
  rounds: RoundResult[];
  median: { rps: number; p50: number; p99: number };
  /**
   * Median of RPS / CPU cores the serving process (floor or gateway) used in the round:
   * requests per CPU-second, which holds up better than RPS when other work shares the cores.
   */
  rpsPerCpuS: number | null;
  /** (max − min) / median, per metric, in percent. */
  spreadPct: { rps: number; p50: number; p99: number };
  failed: number;
}

export function summarize(rounds: RoundResult[]): Summary {
  const metric = (k: 'rps' | 'p50' | 'p99') => {
    const xs = rounds.map((r) => r[k]);
    const med = median(xs);
    return { med: round2(med), spread: med === 0 ? 0 : Math.round(((Math.max(...xs) - Math.min(...xs)) / med) * 1000) / 10 };
  };
  const rps = metric('rps');
  const p50 = metric('p50');
  const p99 = metric('p99');
  return {
    rounds,
    median: { rps: rps.med, p50: p50.med, p99: p99.med },
    rpsPerCpuS: (() => {
      const xs = rounds.flatMap((r) => {
        const cpu = r.cpu.gateway ?? r.cpu.floor;
        return cpu ? [r.rps / cpu] : [];
      });
      return xs.length === rounds.length ? Math.round(median(xs)) : null;
    })(),
    spreadPct: { rps: rps.spread, p50: p50.spread, p99: p99.spread },
    failed: rounds.reduce((n, r) => n + r.failed, 0),
  };
}
