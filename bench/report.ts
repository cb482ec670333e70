/** The bench's report: the machine, the Markdown table and the docs/benchmark.md update. */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { flags, log, ROOT } from './cli.js';
import { round2, type Summary } from './load.js';

import type { ScenarioName } from './scenarios.js';
import type { Allocation } from './stack.js';

export type { ScenarioName };
export interface ScenarioResult {
  title: string;
  floor: Summary;
  gateway: Summary;
  /** gateway / floor, of the medians; `rpsPerCpuS`: of requests per CPU-second of the serving process. */
  ratio: { rps: number; p99: number; rpsPerCpuS: number | null };
  backendRequestsPerQuery?: { floor: number; gateway: number };
  cacheHitRate?: number | null;
  /** Backend requests the gateway made during its measured rounds (S4: 0 when every dashboard is a hit). */
  gatewayBackendCalls?: number;
  /** `--yoga`: plain Yoga + DataLoader (bench/yoga-baseline.ts), measured in the same rounds. */
  yogaBaseline?: Summary;
  /** `--compare`: the other gateway build, measured in the same rounds. */
  compareBuild?: Summary;
  /** `--compare`, S1: the other gateway's peak RSS (MB) after S1, like the gateway's own. */
  comparePeakRssMB?: number | null;
  /** `--yoga`, S1: the baseline's peak RSS (MB) after S1 (it runs without the heap flags). */
  yogaPeakRssMB?: number | null;
  /** `--alloc`, S1: KB allocated per request (sampling heap profiler, collected objects included), by package. */
  allocation?: Allocation;
  compareAllocation?: Allocation;
  targets: Array<{ name: string; value: number | null; target: string; met: boolean | null }>;
}

export const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;

export function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** How the report names the `--compare` / `--compare-node-args` target. */
export function compareLabel(): string {
  const parts = [
    flags.compare !== undefined ? `\`--compare ${flags.compare}\`` : '',
    flags['compare-node-args'] !== undefined ? `\`--compare-node-args "${flags['compare-node-args']}"\`` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

export function markdown(
  m: ReturnType<typeof machine>,
  a: Record<string, unknown>,
  results: Partial<Record<ScenarioName, ScenarioResult>>,
  soak: Record<string, unknown> | null,
  command: string,
): string {
  const lines = [
    `Command: \`${command.split(' (')[0]}\`${command.slice(command.indexOf(' ('))}.`,
    '',
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGB} GB, Node ${m.node}, ${m.os}. ` +
      `${a.connections} connections, ${a.rounds} rounds of ${a.durationS} s per target after a ${a.warmupS} s warm-up; medians, spread = (max − min) / median.`,
    '',
    '| scenario | floor RPS | gateway RPS | ratio | floor p50 / p99 (ms) | gateway p50 / p99 (ms) | spread RPS floor / gw | req per CPU-s floor / gw (ratio) | target | met |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const [name, r] of Object.entries(results)) {
    const t = r.targets.map((x) => `${x.name} = ${x.value ?? 'n/a'} (${x.target})`).join('; ');
    const met = r.targets.every((x) => x.met !== false)
      ? 'yes'
      : `**no** (${r.targets
          .filter((x) => x.met === false)
          .map((x) => x.name)
          .join(', ')})`;
    lines.push(
      `| ${name} ${r.title} | ${r.floor.median.rps} | ${r.gateway.median.rps} | ${r.ratio.rps} | ${r.floor.median.p50} / ${r.floor.median.p99} | ${r.gateway.median.p50} / ${r.gateway.median.p99} | ${r.floor.spreadPct.rps}% / ${r.gateway.spreadPct.rps}% | ${r.floor.rpsPerCpuS ?? 'n/a'} / ${r.gateway.rpsPerCpuS ?? 'n/a'} (${r.ratio.rpsPerCpuS ?? 'n/a'}) | ${t} | ${met} |`,
    );
  }
  const loads = Object.values(results).flatMap((r) => [...r.floor.rounds, ...r.gateway.rounds].map((x) => x.loadavg1));
  if (loads.length > 0) {
    lines.push(
      '',
      // The bench's own processes (load generator, backends, the target and its GC threads) keep a
      // quiet machine's load near 1.5 × its cores; well above that, something else was running.
      `Load average (1 min) at the end of the rounds: ${Math.min(...loads)}–${Math.max(...loads)} on ${m.nproc} cores${Math.max(...loads) > m.nproc * 1.5 + 0.5 ? ': other work shared the machine, so RPS is noisy; the per-CPU-second column is the steadier comparison' : " (the bench's own processes)"}.`,
    );
  }
  for (const [name, r] of Object.entries(results)) {
    if (!r.yogaBaseline) continue;
    const yb = r.yogaBaseline;
    lines.push(
      '',
      `${name} plain Yoga + DataLoader baseline (\`--yoga\`): ${yb.median.rps} RPS = ${round2(yb.median.rps / r.floor.median.rps)} × floor, p50 / p99 ${yb.median.p50} / ${yb.median.p99} ms, ${yb.rpsPerCpuS ?? 'n/a'} req per CPU-s${r.yogaPeakRssMB != null ? `, peak RSS ${r.yogaPeakRssMB} MB` : ''}; the gateway does ${round2(r.gateway.median.rps / yb.median.rps)} × its RPS.`,
    );
  }
  for (const [name, r] of Object.entries(results)) {
    if (!r.compareBuild) continue;
    const c = r.compareBuild;
    const perCpu = c.rpsPerCpuS && r.gateway.rpsPerCpuS ? ` (${round2(c.rpsPerCpuS / r.gateway.rpsPerCpuS)} × this build's)` : '';
    const rss = r.comparePeakRssMB != null ? `, peak RSS ${r.comparePeakRssMB} MB` : '';
    lines.push(
      '',
      `${name} ${compareLabel()}: ${c.median.rps} RPS = ${round2(c.median.rps / r.gateway.median.rps)} × this build's (${round2(c.median.rps / r.floor.median.rps)} × floor), p50 / p99 ${c.median.p50} / ${c.median.p99} ms, ${c.rpsPerCpuS ?? 'n/a'} req per CPU-s${perCpu}${rss}.`,
    );
  }
  for (const [name, r] of Object.entries(results)) {
    if (!r.allocation) continue;
    const by = Object.entries(r.allocation.byPackageKB)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const other = r.compareAllocation ? `; ${compareLabel()}: ${r.compareAllocation.kbPerRequest} KB` : '';
    lines.push(
      '',
      `${name} allocation (\`--alloc\`, sampling heap profiler): ${r.allocation.kbPerRequest} KB per request (${by})${other}.`,
    );
  }
  if (results.S3?.backendRequestsPerQuery) {
    lines.push(
      '',
      `S3 backend requests per query: floor ${results.S3.backendRequestsPerQuery.floor}, gateway ${results.S3.backendRequestsPerQuery.gateway}.`,
    );
  }
  if (results.S4) {
    const s4 = results.S4;
    lines.push(
      '',
      `S4: the gateway made ${s4.gatewayBackendCalls ?? 'n/a'} backend requests during its measured rounds (${s4.gateway.rounds.reduce((n, x) => n + x.requests, 0)} GraphQL requests); cache hit rate ${s4.cacheHitRate ?? 'n/a (no /api/gateway/stats)'}.`,
    );
  }
  if (soak) {
    lines.push(
      '',
      `Soak: ${soak.seconds} s of S1, heap after GC ${soak.heapAfterWarmupMB} MB after warm-up → ${soak.heapAfterSoakMB} MB (${soak.growthPct}%, target ≤ 10%: ${soak.met ? 'met' : 'not met'}).`,
    );
  }
  return lines.join('\n') + '\n';
}

export function updateBenchmarkDoc(md: string): void {
  const path = join(ROOT, 'docs', 'benchmark.md');
  const text = readFileSync(path, 'utf8');
  const startMark = '<!-- bench:start -->';
  const endMark = '<!-- bench:end -->';
  const s = text.indexOf(startMark);
  const e = text.indexOf(endMark);
  if (s === -1 || e === -1 || e < s) {
    log('docs/benchmark.md has no bench markers: table not inserted');
    return;
  }
  writeFileSync(path, `${text.slice(0, s + startMark.length)}\n${md}${text.slice(e)}`);
  log('docs/benchmark.md table updated');
}
