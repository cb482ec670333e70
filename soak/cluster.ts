/**
 * The soak's processes: a Redis server of its own (the tests' `TestRedis`), the reference backends (one process, the
 * bench's), and three gateway replicas sharing that Redis. Started with the bench's process
 * helpers; every replica's stdout JSON log is kept line by line.
 */
import { start, startBackends as startReferenceBackends, waitReady, type Proc } from '../bench/processes.js';
import { startScriptNodeArgs } from '../bench/project.js';
import { gatewayEnv, type BackendUrls } from '../test/support/kit.js';
import type { BadLogLine, BreakerEvent } from './checks.js';
import { SERVICES, type Service } from './schedule.js';
import { JWT_SECRET } from './traffic.js';

/** The budgets every replica runs with: short, so that faults and recoveries fit a 60-second run. */
export const CALL_BUDGET_MS = 2000;
export const BREAKER_RESET_MS = 3000;

export interface Replica {
  id: string;
  url: string;
  proc: Proc;
  /** The Node inspector's loopback port (heap after GC). */
  inspectPort: number;
}

export interface ReplicaLogs {
  breakerEvents: BreakerEvent[];
  badLines: BadLogLine[];
  /** Lines per level name, over all replicas. */
  levels: Record<string, number>;
  redisLines: Array<{ replica: number; atMs: number; level: number; msg: string }>;
  stderr: string[];
}

const BREAKER_MSG: Record<string, BreakerEvent['to']> = {
  'circuit breaker opened': 'OPEN',
  'circuit breaker half-open: probing': 'HALF_OPEN',
  'circuit breaker closed': 'CLOSED',
};
const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** The reference backends (the bench's, one process) with the replicas' JWT secret. */
export function startBackends(): Promise<{ proc: Proc; urls: BackendUrls }> {
  return startReferenceBackends(JWT_SECRET, 60_000);
}

export async function startReplicas(
  count: number,
  urls: BackendUrls,
  redisUrl: string,
  clock: () => number,
  logs: ReplicaLogs,
): Promise<Replica[]> {
  // The Node flags of `npm start` (package.json), so the replicas run as production does.
  // The gateway (PORT=0) and its inspector take ports of the kernel's choosing and name them:
  // ports picked here ahead of time could be taken by another process before they are bound.
  const nodeArgs = [...startScriptNodeArgs(), '--inspect=127.0.0.1:0', '--import', 'tsx', 'src/main.ts'];
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const id = `soak-${index + 1}`;
      const env: Record<string, string> = {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        ...gatewayEnv(urls, { jwtSecret: JWT_SECRET }),
        REDIS_URL: redisUrl,
        GATEWAY_REPLICA_ID: id,
        LOG_LEVEL: 'info',
        ORCHESTRATION_TIMEOUT: String(CALL_BUDGET_MS),
        ORCHESTRATION_RETRY_ATTEMPTS: '2',
        CIRCUIT_BREAKER_RESET_TIMEOUT: String(BREAKER_RESET_MS),
        SYNC_CHECK_INTERVAL: '1000',
        RATE_LIMIT_MAX: '100000000',
        GRAPHIQL: 'false',
        STATUS_PAGE: 'false',
        // Short TTLs, so that the traffic keeps reaching the services (and their faults) instead of living on cached dashboards.
        CACHE_TTL_DASHBOARD: '3000',
        CACHE_TTL_USER: '10000',
        CACHE_TTL_INDUSTRIES: '10000',
        CACHE_TTL_JOBS: '5000',
        ORCHESTRATION_CACHE_EXPIRY: '5000',
      };
      const proc = start(`gateway ${id}`, nodeArgs, env, { onLine: (text, stream) => onLogLine(logs, index, text, stream, clock) });
      const [inspectPort, url] = await Promise.all([
        proc.line(/^Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 60_000).then(Number),
        proc.line(/"url":"([^"]+)".*"msg":"gateway listening"/, 60_000),
      ]);
      await waitReady(url, proc, 60_000);
      return { id, url, proc, inspectPort };
    }),
  );
}

function onLogLine(logs: ReplicaLogs, replica: number, text: string, stream: 'out' | 'err', clock: () => number): void {
  if (stream === 'err') {
    // The inspector's own greeting (the soak starts it) is not the gateway's.
    if (/^(Debugger listening on|For help, see:|Debugger attached|Debugger ending on|Waiting for the debugger)/.test(text)) return;
    if (text.trim()) logs.stderr.push(`[replica ${replica + 1}] ${text}`.slice(0, 500));
    return;
  }
  // Most lines are per-request info lines: look at the level before parsing.
  const level = Number(/"level":(\d+)/.exec(text)?.[1] ?? 0);
  const name = LEVEL_NAMES[level] ?? `level ${level}`;
  logs.levels[name] = (logs.levels[name] ?? 0) + 1;
  const maybeBreaker = text.includes('circuit breaker');
  if (level < 40 && !maybeBreaker) return;
  let line: { msg?: unknown; service?: unknown };
  try {
    line = JSON.parse(text) as typeof line;
  } catch {
    logs.stderr.push(`[replica ${replica + 1}] not JSON: ${text.slice(0, 300)}`);
    return;
  }
  const msg = String(line.msg ?? '');
  const atMs = clock();
  const to = BREAKER_MSG[msg];
  if (to && (SERVICES as readonly string[]).includes(String(line.service))) {
    logs.breakerEvents.push({ replica, service: line.service as Service, atMs, to });
  }
  if (/redis/i.test(msg)) logs.redisLines.push({ replica, atMs, level, msg });
  if (level >= 50 || /unhandled/i.test(msg)) {
    logs.badLines.push({
      replica,
      atMs,
      level,
      msg: `${msg} ${text.slice(0, 400)}`,
      ...(typeof line.service === 'string' ? { service: line.service } : {}),
    });
  }
}

/** A replica's breakers (service name → state) and sync status; no breakers when it did not answer. */
export interface ReplicaState {
  replica: string;
  breakers: Record<string, string>;
  sync: string;
}

/** Every replica's breakers and sync state, as their own routes report them. */
export async function replicaStates(replicas: readonly Replica[], adminToken: string): Promise<ReplicaState[]> {
  return Promise.all(
    replicas.map(async (r) => {
      const headers = { authorization: `Bearer ${adminToken}` };
      try {
        const services = (await (
          await fetch(`${r.url}/api/gateway/services`, { headers, signal: AbortSignal.timeout(10_000) })
        ).json()) as {
          services: Array<{ name: string; breaker: { state: string } }>;
        };
        const sync = (await (await fetch(`${r.url}/health/sync`, { signal: AbortSignal.timeout(10_000) })).json()) as { status: string };
        return { replica: r.id, breakers: Object.fromEntries(services.services.map((s) => [s.name, s.breaker.state])), sync: sync.status };
      } catch (err) {
        return { replica: r.id, breakers: {}, sync: `no answer (${(err as Error).message})` };
      }
    }),
  );
}

/**
 * A replica's heap after a full collection, in MB, through the Node inspector the soak starts
 * each replica with (`--inspect` on a loopback port): `HeapProfiler.collectGarbage`, then
 * `process.memoryUsage().heapUsed`. A debugging means Node already has, so the product needs
 * no GC route and no `--expose-gc`.
 */
export async function heapAfterGcMB(inspectPort: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let id = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<{ result?: { result?: { value?: unknown } } }>((resolve, reject) => {
      const mine = ++id;
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 30_000);
      const onMessage = (e: MessageEvent) => {
        const msg = JSON.parse(String(e.data)) as { id?: number; result?: { result?: { value?: unknown } } };
        if (msg.id !== mine) return;
        clearTimeout(timer);
        ws.removeEventListener('message', onMessage);
        resolve(msg);
      };
      ws.addEventListener('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    // Twice: what the first collection frees through finalizers and weak references goes in the second.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const answer = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return Number(answer.result?.result?.value) / 1024 / 1024;
  } finally {
    ws.close();
  }
}
