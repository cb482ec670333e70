/**
 * `npm run soak [-- --duration 600|10m|90s] [--out docs/soak.md] [--concurrency 6]`: three
 * gateway replicas sharing one Redis, in front of the reference backends, under mixed
 * traffic while a schedule injects faults (docs/soak.md says what is checked). Prints the
 * report, writes it to `--out`, and exits 1 when any check fails.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFaults } from '../bench/backend-faults.js';
import { procMemMB } from '../bench/processes.js';
import { ROOT } from '../bench/project.js';
import { TestRedis } from '../test/support/redis-server.js';
import {
  BREAKER_RESET_MS,
  CALL_BUDGET_MS,
  heapAfterGcMB,
  replicaStates,
  startBackends,
  startReplicas,
  type ReplicaLogs,
  type ReplicaState,
} from './cluster.js';
import {
  breakerOpenIntervals,
  classOf,
  documentedCodes,
  falseReports,
  heapGrowth,
  unexpectedLogLines,
  unexplained5xx,
  type Answer,
} from './checks.js';
import { buildSchedule, MIN_DURATION_S, parseDuration, SERVICES, type ScheduledFault } from './schedule.js';
import { sleep, Traffic } from './traffic.js';

const USAGE = `Usage: npm run soak -- [--duration <seconds|1m|10m>] [--out <file>] [--concurrency <n>] [--dump <answers.json>]
Default: 10 minutes, report to docs/soak.md, 6 concurrent clients. See docs/soak.md.`;
const REPLICAS = 3;
/** A call that began just before a fault was cleared may still end in it (one budget), plus the control call's own way. */
const GRACE_MS = CALL_BUDGET_MS + 1000;
const MAX_HEAP_GROWTH = 0.1;

function parseCli(): { durationMs: number; out: string; concurrency: number; command: string; dump?: string } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string' },
        out: { type: 'string' },
        dump: { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const durationMs = values.duration === undefined ? 600_000 : parseDuration(values.duration);
  const concurrency = Number(values.concurrency ?? 6);
  if (durationMs === undefined || durationMs < MIN_DURATION_S * 1000 || !Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`--duration must be at least ${MIN_DURATION_S} s, --concurrency a positive integer\n${USAGE}\n`);
    process.exit(2);
  }
  const args = process.argv.slice(2);
  return {
    durationMs,
    out: values.out ?? join(ROOT, 'docs', 'soak.md'),
    concurrency,
    ...(values.dump ? { dump: values.dump } : {}),
    command: `npm run soak${args.length ? ` -- ${args.join(' ')}` : ''}`,
  };
}

const cli = parseCli();
const started = performance.now();
const clock = () => Math.round(performance.now() - started);
const stamp = () => `${String(Math.floor(clock() / 60_000)).padStart(2, '0')}:${String(Math.floor(clock() / 1000) % 60).padStart(2, '0')}`;
const say = (msg: string) => process.stderr.write(`[soak ${stamp()}] ${msg}\n`);

const schedule = buildSchedule(cli.durationMs);
const documented = documentedCodes(readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8'));
const logs: ReplicaLogs = { breakerEvents: [], badLines: [], levels: {}, redisLines: [], stderr: [] };

say(`starting Redis, the reference backends and ${REPLICAS} gateway replicas`);
const redis = await TestRedis.start();
const backends = await startBackends();
const replicas = await startReplicas(REPLICAS, backends.urls, redis.url, clock, logs);
// The clock of the schedule and of the answers starts with the traffic.
const t0 = clock();
const at = (ms: number) => sleep(Math.max(0, t0 + ms - clock()));
const rel = () => clock() - t0;
const traffic = new Traffic({ replicas: replicas.map((r) => r.url), concurrency: cli.concurrency, clock: rel, gatewayCodes: documented });
const adminToken = await traffic.token('u2', 'admin');
traffic.start();
say(`traffic: ${cli.concurrency} clients over ${REPLICAS} replicas for ${cli.durationMs / 1000} s`);

/** The faults as they were actually in force (control calls take time), for the checks. */
const applied: ScheduledFault[] = [];

async function runFault(f: ScheduledFault): Promise<void> {
  await at(f.startMs);
  const startMs = rel();
  say(`fault on: ${f.label}`);
  if (f.target === 'redis') await redis.stop();
  else await setFaults(backends.urls[f.target], f.faults ?? {});
  await at(f.endMs);
  if (f.target === 'redis') await redis.restart();
  else await setFaults(backends.urls[f.target], f.faults ?? {}, true);
  applied.push({ ...f, startMs, endMs: rel() });
  say(`fault off: ${f.label}`);
}

/** Each replica's heap after a full GC, with the traffic paused (requests in flight finish first). */
async function heapAfterGc(): Promise<number[]> {
  traffic.pause(true);
  await sleep(3000);
  const heaps: number[] = [];
  // One replica at a time: three full collections at once on a shared machine stall each replica longer.
  for (const r of replicas) {
    const began = clock();
    heaps.push(await heapAfterGcMB(r.inspectPort).catch(() => NaN));
    say(`heap of ${r.id} measured in ${clock() - began} ms`);
  }
  traffic.pause(false);
  return heaps;
}

const faultRuns = schedule.faults.map((f) => runFault(f));

await at(schedule.warmupMs - 5000);
const heapBaseline = await heapAfterGc();
say(`heap after GC, end of warm-up: ${heapBaseline.map((h) => h.toFixed(1)).join(' / ')} MB`);

await Promise.all(faultRuns);
const lastFaultEndMs = Math.max(...applied.map((f) => f.endMs));

/** Recovered: sync in_sync, and as many breakers as services (none when it did not answer), every one CLOSED. */
const recovered = (s: ReplicaState) =>
  s.sync === 'in_sync' && Object.keys(s.breakers).length === SERVICES.length && Object.values(s.breakers).every((b) => b === 'CLOSED');

// Quiet tail: when did every replica have every breaker CLOSED and sync in_sync again?
let recoveredAtMs: number | null = null;
while (rel() < schedule.durationMs - 2000) {
  const states = await replicaStates(replicas, adminToken);
  const ok = states.every(recovered);
  if (ok && recoveredAtMs === null) recoveredAtMs = rel();
  if (!ok) recoveredAtMs = null;
  await sleep(2000);
}
await at(schedule.durationMs);
await traffic.stop();
say(`traffic stopped: ${traffic.answers.length} requests`);
const finalStates = await replicaStates(replicas, adminToken);
const heapFinal = await heapAfterGc();
const rss = replicas.map((r) => procMemMB(r.proc.pid, 'VmRSS'));
const rssPeak = replicas.map((r) => procMemMB(r.proc.pid, 'VmHWM'));
say(`heap after GC, end: ${heapFinal.map((h) => h.toFixed(1)).join(' / ')} MB`);

// Every write the gateway acknowledged is at the comment service (asked directly, not through a replica).
const missingWrites: string[] = [];
const byUser = new Map<string, Set<string>>();
for (const w of traffic.writes) byUser.set(w.userId, (byUser.get(w.userId) ?? new Set()).add(w.commentId));
for (const [userId, ids] of byUser) {
  const res = await fetch(`${backends.urls.comment}/api/comments?userId=${userId}&limit=100`);
  const held = new Set(((await res.json()) as { comments: Array<{ id: string }> }).comments.map((c) => c.id));
  for (const id of ids) if (!held.has(id)) missingWrites.push(`${userId}/${id}`);
}

for (const r of replicas) await r.proc.stop();
await backends.proc.stop();
await redis.stop();

// ---- verdicts ----
const answers = traffic.answers;
const endMs = rel();
const breakers = breakerOpenIntervals(
  logs.breakerEvents.map((e) => ({ ...e, atMs: e.atMs - t0 })),
  endMs,
);
const lost = answers.filter((a) => a.status === null);
const bad5xx = unexplained5xx(answers, documented);
const dashboards = answers.filter((a) => a.kind === 'dashboard' || a.kind === 'dashboard-rest');
const badDashboards = answers.filter((a) => a.dashboardProblem);
const falses = falseReports(answers, applied, breakers, GRACE_MS);
const badLogs = unexpectedLogLines(
  logs.badLines.map((l) => ({ ...l, atMs: l.atMs - t0 })),
  applied,
  GRACE_MS,
);
if (cli.dump) writeFileSync(cli.dump, JSON.stringify({ applied, answers, breakerEvents: logs.breakerEvents, t0 }, null, 1));
const notRecovered = finalStates.filter((s) => !recovered(s));
const growth = heapBaseline.map((b, i) => heapGrowth(b, heapFinal[i]!));
const heapOk = growth.every((g) => g <= MAX_HEAP_GROWTH);

const checks: Array<{ name: string; ok: boolean; detail: string }> = [
  {
    name: 'zero lost: every request got an answer',
    ok: lost.length === 0,
    detail: `${answers.length - lost.length} of ${answers.length} answered`,
  },
  {
    name: 'every gateway 5xx carries a documented code naming the failure (or is a backend 5xx relayed by passthrough)',
    ok: bad5xx.length === 0,
    detail: `${answers.filter((a) => (a.status ?? 0) >= 500).length} 5xx, ${bad5xx.length} unexplained`,
  },
  {
    name: 'every dashboard complete, or degraded with a coded error naming the failed service',
    ok: badDashboards.length === 0,
    detail: `${dashboards.length} dashboards, ${dashboards.filter((a) => a.reports.length > 0).length} degraded, ${badDashboards.length} not as they should be`,
  },
  {
    name: `a service is reported failed only while it is faulted (+${GRACE_MS / 1000} s) or that replica's breaker for it is open`,
    ok: falses.length === 0,
    detail: `${answers.reduce((n, a) => n + a.reports.length, 0)} service-level reports, ${falses.length} false`,
  },
  {
    name: 'every passthrough write the gateway acknowledged is at the backend',
    ok: missingWrites.length === 0,
    detail: `${traffic.writes.length} acknowledged, ${missingWrites.length} missing`,
  },
  {
    name: 'breakers CLOSED and sync in_sync on every replica after the faults',
    ok: notRecovered.length === 0,
    detail:
      recoveredAtMs === null
        ? `not recovered: ${JSON.stringify(notRecovered)}`
        : `recovered ${((recoveredAtMs - lastFaultEndMs) / 1000).toFixed(1)} s after the last fault ended`,
  },
  {
    name: `heap after GC flat (≤ ${MAX_HEAP_GROWTH * 100} % growth from the end of the warm-up to the end)`,
    ok: heapOk,
    detail: growth.map((g, i) => `${replicas[i]!.id} ${(g * 100).toFixed(1)} %`).join(', '),
  },
  {
    name: 'no unhandled rejection or error-level log line',
    ok: badLogs.length === 0 && !logs.stderr.some((l) => /unhandled|error/i.test(l)),
    detail: `${badLogs.length} error-level lines, ${logs.stderr.length} stderr lines`,
  },
];
const passed = checks.every((c) => c.ok);

// ---- report ----
const s = (ms: number) => (ms / 1000).toFixed(1);
const table = (head: string[], rows: Array<Array<string | number>>) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const count = <T>(items: readonly T[], key: (t: T) => string) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
};
const classes = ['2xx', '4xx', '5xx', 'lost'];
const kinds = [...new Set(answers.map((a) => a.kind))];
const describe = (a: Answer) =>
  `${a.what} on replica ${a.replica + 1} at ${s(a.startMs)}–${s(a.endMs)} s: HTTP ${a.status ?? '—'} ${a.codes.join(',')} ${a.message ?? ''} ${a.dashboardProblem ?? ''} ${a.lost ?? ''}`.trim();
// A loop, not Math.max(...answers): a 10-minute run has more answers than a call has room for arguments.
const elapsed = answers.reduce((m, a) => Math.max(m, a.endMs), 1000) / 1000;

const report = `# Fault soak

\`npm run soak\` starts its own \`redis-server\`, the reference backends and ${REPLICAS} gateway replicas sharing that Redis, sends
mixed traffic to the replicas in turn (dashboards for rotating users over GraphQL and REST, batched \`users(ids:)\`, passthrough
reads and writes, admin calls), injects the faults below through the backends' \`/__control/faults\` and by killing and
restarting Redis, and checks what came back. It runs 10 minutes by default (\`--duration 60\`, \`90s\`, \`10m\`; the schedule
scales with it), writes this report to \`docs/soak.md\` (\`--out <file>\`), keeps every answer with \`--dump <file>\`, and exits 1
when a check fails. CI runs \`npm run soak -- --duration 60\` with its report in a temporary file. The code is in \`soak/\`; the
checks are unit-tested in \`test/unit/soak-checks.test.ts\`.

This report: ${passed ? '**PASSED**' : '**FAILED**'}, ${checks.filter((c) => c.ok).length} of ${checks.length} checks.

- Command: \`${cli.command}\`
- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} CPU cores (shared), Node ${process.version}; ${REPLICAS} gateway replicas (\`NODE_ENV=production\`, run with tsx), one
  \`redis-server\` of the soak's own, the reference backends in one process; ${cli.concurrency} closed-loop clients sending to the replicas in turn.
- Replica settings: \`ORCHESTRATION_TIMEOUT=${CALL_BUDGET_MS}\`, \`ORCHESTRATION_RETRY_ATTEMPTS=2\`, \`CIRCUIT_BREAKER_RESET_TIMEOUT=${BREAKER_RESET_MS}\`, \`SYNC_CHECK_INTERVAL=1000\`.
- ${answers.length} requests in ${elapsed.toFixed(0)} s (${(answers.length / elapsed).toFixed(0)}/s).

## Checks

${table(
  ['check', 'result', 'detail'],
  checks.map((c) => [c.name, c.ok ? 'pass' : '**FAIL**', c.detail]),
)}

A service-level report (an error naming a service, or a service in a dashboard's \`degraded\`) is explained when a failing fault
on that service was in force at some time between the request's start and its answer (the fault's end stretched by one call
budget and a second), or when that replica logged its breaker for the service as not CLOSED meanwhile. The comment reset overlaps
an NPS hang that outlasts it: where an independent soak saw comment reported unavailable ~11 s after its reset had ended.

## Schedule (seconds from the start of the traffic)

Warm-up until ${s(schedule.warmupMs)} s (heap baseline at its end), faults, quiet from ${s(schedule.quietFromMs)} s, end at ${s(schedule.durationMs)} s.

${table(
  ['fault', 'target', 'on', 'off'],
  applied.sort((a, b) => a.startMs - b.startMs).map((f) => [f.label, f.target, s(f.startMs), s(f.endMs)]),
)}

## Answers by kind and class

${table(
  ['kind', ...classes, 'total'],
  kinds.map((k) => {
    const of = answers.filter((a) => a.kind === k);
    return [k, ...classes.map((c) => of.filter((a) => classOf(a.status) === c).length), of.length];
  }),
)}

Error codes in answers: ${
  count(
    answers.flatMap((a) => a.codes),
    (c) => c,
  )
    .map(([c, n]) => `\`${c}\` ${n}`)
    .join(', ') || 'none'
}.
Service-level reports: ${
  count(
    answers.flatMap((a) => a.reports),
    (r) => `${r.service} ${r.code}`,
  )
    .map(([c, n]) => `${c} ${n}`)
    .join(', ') || 'none'
}.

## Breakers, logs, memory

Breaker transitions logged: ${
  count(logs.breakerEvents, (e) => `${replicas[e.replica]!.id} ${e.service} → ${e.to}`)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ') || 'none'
}.

Log lines by level: ${Object.entries(logs.levels)
  .map(([l, n]) => `${l} ${n}`)
  .join(', ')}. Redis-related lines: ${
  count(logs.redisLines, (l) => l.msg)
    .map(([m, n]) => `"${m}" ×${n}`)
    .join(', ') || 'none'
}.

${table(
  ['replica', 'heap baseline (MB)', 'heap final (MB)', 'growth', 'RSS at end (MB)', 'RSS peak (MB)'],
  replicas.map((r, i) => [
    r.id,
    heapBaseline[i]!.toFixed(1),
    heapFinal[i]!.toFixed(1),
    `${(growth[i]! * 100).toFixed(1)} %`,
    rss[i] ?? '—',
    rssPeak[i] ?? '—',
  ]),
)}

Heap: \`process.memoryUsage().heapUsed\` of each replica right after two full collections (\`HeapProfiler.collectGarbage\` through the
Node inspector the soak starts each replica with, on a loopback port), traffic paused: at the end of the warm-up and after the run.

## Final state of every replica

${table(
  ['replica', 'breakers', 'sync'],
  finalStates.map((f) => [
    f.replica,
    Object.entries(f.breakers)
      .map(([n, st]) => `${n} ${st}`)
      .join(', '),
    f.sync,
  ]),
)}
${
  passed
    ? ''
    : `
## Failures (at most 20 of each)

${[
  ...lost.slice(0, 20).map((a) => `- lost: ${describe(a)}`),
  ...bad5xx.slice(0, 20).map((a) => `- unexplained 5xx: ${describe(a)}`),
  ...badDashboards.slice(0, 20).map((a) => `- dashboard: ${describe(a)}`),
  ...falses
    .slice(0, 20)
    .map(
      (f) =>
        `- false report: ${f.service} ${f.code}${f.sinceFaultEndMs === null ? '' : ` ${s(f.sinceFaultEndMs)} s after its fault ended`} — ${describe(f.answer)}`,
    ),
  ...missingWrites.slice(0, 20).map((w) => `- write not at the backend: ${w}`),
  ...badLogs.slice(0, 20).map((l) => `- log (replica ${l.replica + 1}): ${l.msg}`),
  ...logs.stderr.slice(0, 20).map((l) => `- stderr: ${l}`),
].join('\n')}
`
}`;

process.stdout.write(`${report}\n`);
writeFileSync(cli.out, report);
say(`report written to ${cli.out}`);
process.exit(passed ? 0 : 1);
