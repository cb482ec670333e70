/**
 * `npm run bench`: the gateway side by side with the floor (`bench/floor.ts`), issue 6.
 *
 * Separate processes: the reference backends (`bench/backends.ts`), the floor, and the
 * gateway in its production profile (`node dist/src/main.js` after `npm run build`). This
 * process only drives load (autocannon, programmatic): per scenario a warm-up of each
 * target, then rounds alternating floor and gateway (A B A B …), and reports medians and
 * spreads of RPS, p50 and p99, the gateway's peak RSS, and each target of the issue.
 *
 * Flags: `--quick` (~30 s CI smoke: asserts only that every scenario produced numbers and
 * no request failed), `--soak` (adds the 5-minute S1 soak with forced GCs), `--tsx` (run
 * the gateway from src/ through tsx instead of building), `--only S1,S3`,
 * `--connections N`, `--duration S`, `--rounds N`, `--warmup S`, `--soak-seconds S`,
 * `--update-docs` (replace the table between the bench markers in docs/benchmark.md),
 * `--yoga` (S1 and S2 also measure `bench/yoga-baseline.ts`, plain Yoga + DataLoader, as a
 * third target in each round), `--compressed` (clients send `accept-encoding: gzip, deflate, br`
 * as browsers do), `--entry path/main.js` (another gateway build, for
 * experiments; implies `--no-build`), `--compare path/main.js` (S1–S3 also measure that second
 * gateway build, same environment, as another target in each round: A/B of one lever in one
 * run), `--no-build` (run the existing dist/ as it is), `--env KEY=VALUE` (extra gateway environment), `--cpu-prof` (the gateway and the floor write V8 CPU profiles to bench/results/profiles/),
 * `--node-args="…"` (Node/V8 flags of the gateway instead of those of `npm start`),
 * `--compare-node-args="…"` (S1–S3 also measure the gateway with these flags instead: A/B of
 * the runtime flags in one run; with `--compare`, of that build with them).
 * The gateway runs with the Node/V8 flags of the `start` script in package.json, as `npm start`
 * runs it in production.
 * Writes `bench/results/latest.json` and `bench/results/latest.md` (quick runs:
 * `quick.*`; runs with `--only`, `--cpu-prof` or changed durations: `partial.*`), so that only
 * a full default run replaces the recorded figures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { DASHBOARD_QUERY, S3_IDS, USERS_QUERY } from './queries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';
const USER_COUNT = 500;

const BENCH_OPTIONS = {
  quick: { type: 'boolean', default: false },
  soak: { type: 'boolean', default: false },
  tsx: { type: 'boolean', default: false },
  only: { type: 'string' },
  connections: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  warmup: { type: 'string' },
  'soak-seconds': { type: 'string' },
  'update-docs': { type: 'boolean', default: false },
  'cpu-prof': { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
  env: { type: 'string', multiple: true },
  yoga: { type: 'boolean', default: false },
  entry: { type: 'string' },
  compare: { type: 'string' },
  'node-args': { type: 'string' },
  'compare-node-args': { type: 'string' },
  compressed: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const USAGE = `Usage: npm run bench -- [--quick] [--soak] [--only S1,S2,S3,S4] [--yoga] [--cpu-prof] [--compressed]
       [--connections N] [--duration S] [--rounds N] [--warmup S] [--soak-seconds S]
       [--env KEY=VALUE ...] [--entry path/to/main.js] [--compare path/to/other/main.js] [--no-build] [--tsx] [--update-docs]
       [--node-args="--flag ..."] [--compare-node-args="--flag ..."]
See docs/benchmark.md for what each scenario measures.`;

const { values: flags } = parseBenchArgs();

function parseBenchArgs() {
  try {
    const parsed = parseArgs({ options: BENCH_OPTIONS });
    if (parsed.values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
const quick = flags.quick ?? false;
const settings = {
  connections: Number(flags.connections ?? 32),
  durationS: Number(flags.duration ?? (quick ? 2 : 10)),
  rounds: Number(flags.rounds ?? (quick ? 1 : 3)),
  warmupS: Number(flags.warmup ?? (quick ? 1 : 5)),
  soakS: Number(flags['soak-seconds'] ?? 300),
};
for (const [name, value] of Object.entries(settings)) {
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive number (got ${value}).\n${USAGE}\n`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

interface Proc {
  child: ChildProcess;
  pid: number;
  /** Resolves with the rest of the first stdout/stderr line starting with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  stderrTail(): string;
  stop(): Promise<void>;
}

function start(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const waiting: Array<{ prefix: string; resolve: (rest: string) => void }> = [];
  let tail = '';
  const onText = (stream: 'out' | 'err') => {
    let buf = '';
    return (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (stream === 'err') tail = (tail + text + '\n').slice(-4000);
        for (const w of [...waiting]) {
          if (text.startsWith(w.prefix)) {
            waiting.splice(waiting.indexOf(w), 1);
            w.resolve(text.slice(w.prefix.length).trim());
          }
        }
      }
    };
  };
  child.stdout!.on('data', onText('out'));
  child.stderr!.on('data', onText('err'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => children.delete(child));
  return {
    child,
    pid: child.pid!,
    line(prefix, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no "${prefix}" line within ${timeoutMs} ms\n${tail}`)), timeoutMs);
        waiting.push({ prefix, resolve: (rest) => (clearTimeout(timer), resolve(rest)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before "${prefix}"\n${tail}`));
        });
      });
    },
    stderrTail: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, proc: Proc, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`gateway exited (code ${proc.child.exitCode})\n${proc.stderrTail()}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway not ready within ${timeoutMs} ms\n${proc.stderrTail()}`);
}

/** Linux: resident set size (`VmRSS`) or its high-water mark (`VmHWM`) in MB; null elsewhere. */
function procMemMB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** Linux: user+system CPU seconds a process has used; null elsewhere. */
function procCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Load

interface RoundResult {
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

interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Called per request: path and body. */
  next(): { path: string; body?: string; headers?: Record<string, string> };
  /** true when the 2xx body still counts as a failure. */
  bad?(body: string): boolean;
}

async function load(spec: LoadSpec, opts: { durationS?: number; amount?: number; connections: number; watch?: Record<string, number> }): Promise<RoundResult> {
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

const round2 = (n: number) => Math.round(n * 100) / 100;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Summary {
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

function summarize(rounds: RoundResult[]): Summary {
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

// ---------------------------------------------------------------------------------------
// The stack

async function token(sub: string, role: 'user' | 'admin'): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(JWT_SECRET));
}

type Urls = Record<'auth' | 'comment' | 'industry' | 'nps', string>;

async function setLatency(urls: Urls, latencyMs: number): Promise<void> {
  await Promise.all(
    Object.values(urls).map(async (u) => {
      const res = await fetch(`${u}/__control/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
      if (!res.ok) throw new Error(`cannot set latency on ${u}: HTTP ${res.status}`);
    }),
  );
}

async function backendRequests(urls: Urls, clear = false): Promise<number> {
  // Let requests still in flight from the previous load (autocannon stops on time, not on drain) land first.
  await new Promise((r) => setTimeout(r, 500));
  const counts = await Promise.all(
    Object.values(urls).map(async (u) => {
      const res = await fetch(`${u}/__control/requests`, { method: clear ? 'DELETE' : 'GET' });
      const body = (await res.json()) as { count?: number; cleared?: number; requests?: Array<{ path: string }> };
      return clear ? 0 : (body.requests ?? []).filter((r) => r.path.startsWith('/api/')).length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

function gatewayEnv(urls: Urls, port: number, cache: boolean): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET,
    AUTH_SERVICE_URL: urls.auth,
    COMMENT_SERVICE_URL: urls.comment,
    INDUSTRY_SERVICE_URL: urls.industry,
    NPS_SERVICE_URL: urls.nps,
    ORCHESTRATION_CACHE_ENABLED: String(cache),
    // S4 measures the steady state (every dashboard a hit): TTLs longer than the scenario.
    ...(cache ? { CACHE_TTL_DASHBOARD: '900000', CACHE_TTL_USER: '900000' } : {}),
    LOG_LEVEL: 'warn',
    FEATURE_SYNC_MONITORING: 'false',
    RATE_LIMIT_MAX: '100000000',
    MONITORING_PUBLIC: 'true',
    GRAPHIQL: 'false',
    ...extraEnv,
  };
}

/** `--env KEY=VALUE` (repeatable): extra gateway environment, to measure one lever at a time. */
const extraEnv: Record<string, string> = Object.fromEntries(
  (flags.env ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got "${kv}"`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  }),
);

const splitArgs = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/**
 * The Node/V8 flags `npm start` gives the gateway (`node <flags> dist/src/main.js` in
 * package.json), so the bench measures the production start and not a bare `node`.
 */
function startScriptNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = splitArgs(pkg.scripts?.start ?? '');
  if (words[0] !== 'node') throw new Error(`package.json "start" should run node, got "${pkg.scripts?.start}"`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}
const gatewayNodeArgs = flags['node-args'] !== undefined ? splitArgs(flags['node-args']) : startScriptNodeArgs();

async function startGateway(
  urls: Urls,
  cache: boolean,
  runtime: 'dist' | 'tsx',
  exposeGc: boolean,
  entryPath = flags.entry,
  nodeArgs = gatewayNodeArgs,
): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const entry = entryPath ? [entryPath] : runtime === 'dist' ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const gc = exposeGc ? ['--expose-gc', '--import', './bench/gc-probe.mjs'] : [];
  const prof = flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'profiles')] : [];
  const proc = start(`gateway (cache ${cache ? 'on' : 'off'})`, [...nodeArgs, ...prof, ...gc, ...entry], gatewayEnv(urls, port, cache));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  return { proc, url };
}

async function heapAfterGc(proc: Proc): Promise<{ heapUsed: number; rss: number; gc: boolean }> {
  const pending = proc.line('BENCH_HEAP', 10_000);
  proc.child.kill('SIGUSR2');
  return JSON.parse(await pending) as { heapUsed: number; rss: number; gc: boolean };
}

// ---------------------------------------------------------------------------------------
// Scenarios

type ScenarioName = 'S1' | 'S2' | 'S3' | 'S4';
interface ScenarioResult {
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
  targets: Array<{ name: string; value: number | null; target: string; met: boolean | null }>;
}

async function main(): Promise<void> {
  const only = new Set((flags.only ?? 'S1,S2,S3,S4').split(',').map((s) => s.trim().toUpperCase()));
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });

  let runtime: 'dist' | 'tsx' = flags.tsx || quick ? 'tsx' : 'dist';
  let buildNote = runtime === 'tsx' ? 'gateway run from src/ through tsx' : `gateway built with \`npm run build\`, run as \`${['node', ...gatewayNodeArgs, 'dist/src/main.js'].join(' ')}\``;
  if (runtime === 'dist' && (flags['no-build'] || flags.entry)) {
    if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('--no-build: dist/src/main.js does not exist; run npm run build');
    buildNote = `gateway run from the existing dist/ (--no-build)${gatewayNodeArgs.length > 0 ? ` with \`${gatewayNodeArgs.join(' ')}\`` : ''}`;
  } else if (runtime === 'dist') {
    log('building the gateway (npm run build)…');
    const build = start('build', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {});
    const code = await new Promise<number | null>((r) => build.child.once('exit', r));
    if (code !== 0 && !existsSync(join(ROOT, 'dist/src/main.js'))) {
      log(`build failed (code ${code}): falling back to tsx`);
      runtime = 'tsx';
      buildNote = 'build failed: gateway run from src/ through tsx';
    } else if (code !== 0) {
      buildNote = `tsc reported type errors (code ${code}); dist/ was emitted and is what ran`;
      log(buildNote);
    }
  }

  const backends = start('backends', ['--import', 'tsx', 'bench/backends.ts'], { JWT_SECRET });
  const urls = JSON.parse(await backends.line('BENCH_BACKENDS')) as Urls;
  const floorProf = flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'profiles', 'floor')] : [];
  const floorProc = start('floor', [...floorProf, '--import', 'tsx', 'bench/floor.ts'], {
    PORT: '0',
    AUTH_SERVICE_URL: urls.auth,
    COMMENT_SERVICE_URL: urls.comment,
    INDUSTRY_SERVICE_URL: urls.industry,
    NPS_SERVICE_URL: urls.nps,
  });
  const floorUrl = await floorProc.line('BENCH_FLOOR');
  const yogaProc = flags.yoga
    ? start('yoga baseline', ['--import', 'tsx', 'bench/yoga-baseline.ts'], {
        PORT: '0',
        AUTH_SERVICE_URL: urls.auth,
        COMMENT_SERVICE_URL: urls.comment,
        INDUSTRY_SERVICE_URL: urls.industry,
        NPS_SERVICE_URL: urls.nps,
      })
    : null;
  const yogaUrl = yogaProc ? await yogaProc.line('BENCH_YOGA') : null;

  const userTokens = await Promise.all(Array.from({ length: USER_COUNT }, (_, i) => token(`u${i + 1}`, 'user')));
  const adminToken = await token('bench-admin', 'admin');

  let nextUser = 0;
  const nextId = () => (nextUser = (nextUser % USER_COUNT) + 1);
  let nextWindow = 0;
  const nextIds = () => {
    const first = nextWindow;
    nextWindow = (nextWindow + S3_IDS) % USER_COUNT;
    return Array.from({ length: S3_IDS }, (_, i) => `u${((first + i) % USER_COUNT) + 1}`);
  };

  const dashboardBad = (body: string) => body.includes('"errors"') || !body.includes('"degraded":[]');
  const usersBad = (body: string) => body.includes('"errors"');
  const floorDashboard = (): LoadSpec => ({ url: floorUrl, method: 'GET', next: () => ({ path: `/dashboard/u${nextId()}` }) });
  const gatewayDashboard = (url: string): LoadSpec => ({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    next: () => {
      const id = nextId();
      return { path: '/graphql', body: JSON.stringify({ query: DASHBOARD_QUERY, variables: { id: `u${id}` } }), headers: { authorization: `Bearer ${userTokens[id - 1]}` } };
    },
    bad: dashboardBad,
  });
  const yogaDashboard = (): LoadSpec | null =>
    yogaUrl === null
      ? null
      : {
          url: yogaUrl,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          next: () => ({ path: '/graphql', body: JSON.stringify({ query: DASHBOARD_QUERY, variables: { id: `u${nextId()}` } }) }),
          bad: dashboardBad,
        };
  const floorUsers = (): LoadSpec => ({ url: floorUrl, method: 'GET', next: () => ({ path: `/users?ids=${nextIds().join(',')}` }) });
  const gatewayUsers = (url: string): LoadSpec => ({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    next: () => ({ path: '/graphql', body: JSON.stringify({ query: USERS_QUERY, variables: { ids: nextIds() } }) }),
    bad: usersBad,
  });

  const results: Partial<Record<ScenarioName, ScenarioResult>> = {};
  let peakRssS1: number | null = null;
  let soak: Record<string, unknown> | null = null;

  async function compare(
    name: ScenarioName,
    title: string,
    floor: LoadSpec,
    gw: LoadSpec,
    gwPid: number,
    opts: { countBackendCalls?: boolean; yoga?: LoadSpec | null; other?: { spec: LoadSpec; pid: number } | null } = {},
  ): Promise<ScenarioResult> {
    const watchFloor = { floor: floorProc.pid, backends: backends.pid };
    const watchGw = { gateway: gwPid, backends: backends.pid };
    log(`${name}: warm-up`);
    await load(floor, { durationS: settings.warmupS, connections: settings.connections });
    await load(gw, { durationS: settings.warmupS, connections: settings.connections });
    const f: RoundResult[] = [];
    const g: RoundResult[] = [];
    const y: RoundResult[] = [];
    const o: RoundResult[] = [];
    let backendCalls = 0;
    if (opts.yoga) await load(opts.yoga, { durationS: settings.warmupS, connections: settings.connections });
    if (opts.other) await load(opts.other.spec, { durationS: settings.warmupS, connections: settings.connections });
    for (let i = 0; i < settings.rounds; i++) {
      f.push(await load(floor, { durationS: settings.durationS, connections: settings.connections, watch: watchFloor }));
      if (opts.countBackendCalls) await backendRequests(urls, true);
      g.push(await load(gw, { durationS: settings.durationS, connections: settings.connections, watch: watchGw }));
      // The log keeps 10 000 entries per service: exact while calls are rare (S4), a floor otherwise.
      if (opts.countBackendCalls) backendCalls += await backendRequests(urls);
      if (opts.yoga && yogaProc) {
        y.push(await load(opts.yoga, { durationS: settings.durationS, connections: settings.connections, watch: { floor: yogaProc.pid, backends: backends.pid } }));
        log(`${name} round ${i + 1}: yoga baseline ${y.at(-1)!.rps} rps p99 ${y.at(-1)!.p99} ms`);
      }
      if (opts.other) {
        o.push(await load(opts.other.spec, { durationS: settings.durationS, connections: settings.connections, watch: { gateway: opts.other.pid, backends: backends.pid } }));
        log(`${name} round ${i + 1}: --compare build ${o.at(-1)!.rps} rps p99 ${o.at(-1)!.p99} ms`);
      }
      log(`${name} round ${i + 1}: floor ${f.at(-1)!.rps} rps p99 ${f.at(-1)!.p99} ms · gateway ${g.at(-1)!.rps} rps p99 ${g.at(-1)!.p99} ms`);
    }
    const floorS = summarize(f);
    const gwS = summarize(g);
    return {
      title,
      floor: floorS,
      gateway: gwS,
      ratio: {
        rps: round2(gwS.median.rps / floorS.median.rps),
        p99: round2(gwS.median.p99 / floorS.median.p99),
        rpsPerCpuS: gwS.rpsPerCpuS !== null && floorS.rpsPerCpuS ? round2(gwS.rpsPerCpuS / floorS.rpsPerCpuS) : null,
      },
      targets: [],
      ...(opts.countBackendCalls ? { gatewayBackendCalls: backendCalls } : {}),
      ...(y.length > 0 ? { yogaBaseline: summarize(y) } : {}),
      ...(o.length > 0 ? { compareBuild: summarize(o) } : {}),
    };
  }

  const needUncached = ['S1', 'S2', 'S3'].some((s) => only.has(s));
  if (needUncached) {
    const gw = await startGateway(urls, false, runtime, false);
    const compareArgs = flags['compare-node-args'];
    const other =
      flags.compare !== undefined || compareArgs !== undefined
        ? await startGateway(urls, false, runtime, false, flags.compare ?? flags.entry, compareArgs !== undefined ? splitArgs(compareArgs) : gatewayNodeArgs)
        : null;
    const otherOf = (spec: (url: string) => LoadSpec) => (other ? { spec: spec(other.url), pid: other.proc.pid } : null);
    try {
      if (only.has('S1')) {
        await setLatency(urls, 0);
        const r = await compare('S1', 'userDashboard, rotating users, cache off, backends 0 ms', floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, {
          yoga: yogaDashboard(),
          other: otherOf(gatewayDashboard),
        });
        peakRssS1 = procMemMB(gw.proc.pid, 'VmHWM');
        if (other) r.comparePeakRssMB = procMemMB(other.proc.pid, 'VmHWM');
        if (yogaProc?.pid !== undefined) r.yogaPeakRssMB = procMemMB(yogaProc.pid, 'VmHWM');
        r.targets.push(
          { name: 'gateway RPS / floor RPS', value: r.ratio.rps, target: '≥ 0.55', met: r.ratio.rps >= 0.55 },
          { name: 'gateway p99 / floor p99', value: r.ratio.p99, target: '≤ 2', met: r.ratio.p99 <= 2 },
          { name: 'gateway peak RSS (MB)', value: peakRssS1, target: '≤ 250', met: peakRssS1 === null ? null : peakRssS1 <= 250 },
        );
        results.S1 = r;
      }
      if (only.has('S2')) {
        await setLatency(urls, 5);
        const r = await compare('S2', 'S1 with 5 ms backend latency', floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, { yoga: yogaDashboard(), other: otherOf(gatewayDashboard) });
        r.targets.push({ name: 'gateway RPS / floor RPS', value: r.ratio.rps, target: '≥ 0.6', met: r.ratio.rps >= 0.6 });
        results.S2 = r;
        await setLatency(urls, 0);
      }
      if (only.has('S3')) {
        await setLatency(urls, 0);
        const r = await compare('S3', `users(ids: ${S3_IDS} ids), cache off, backends 0 ms`, floorUsers(), gatewayUsers(gw.url), gw.proc.pid, { other: otherOf(gatewayUsers) });
        // Counted over a short window of its own (the backends' request log keeps 10 000
        // entries), one query at a time so that the count divides exactly.
        const amount = 40;
        const perQuery = async (spec: LoadSpec) => {
          await backendRequests(urls, true);
          for (let i = 0; i < amount; i++) {
            const n = spec.next();
            const res = await fetch(`${spec.url}${n.path}`, { method: spec.method, headers: { ...spec.headers, ...n.headers }, ...(n.body !== undefined ? { body: n.body } : {}) });
            const text = await res.text();
            if (!res.ok || spec.bad?.(text)) throw new Error(`S3 count: a query failed (HTTP ${res.status}): ${text.slice(0, 300)}`);
          }
          return round2((await backendRequests(urls)) / amount);
        };
        const counts = { floor: await perQuery(floorUsers()), gateway: await perQuery(gatewayUsers(gw.url)) };
        r.backendRequestsPerQuery = counts;
        r.targets.push(
          { name: 'backend requests per GraphQL request', value: counts.gateway, target: '≤ 5', met: counts.gateway <= 5 },
          { name: 'gateway RPS / floor RPS', value: r.ratio.rps, target: '≥ 0.4', met: r.ratio.rps >= 0.4 },
        );
        results.S3 = r;
      }
    } finally {
      await gw.proc.stop();
      await other?.proc.stop();
    }
  }

  if (only.has('S4')) {
    await setLatency(urls, 0);
    const gw = await startGateway(urls, true, runtime, false);
    try {
      // Fill the cache with every dashboard before the measured part starts.
      const fill = gatewayDashboard(gw.url);
      await load(fill, { amount: USER_COUNT, connections: 1 });
      const before = await cacheStats(gw.url);
      const r = await compare('S4', 'S1 with the cache on (steady state, all hits)', floorDashboard(), gatewayDashboard(gw.url), gw.proc.pid, {
        countBackendCalls: true,
      });
      const after = await cacheStats(gw.url);
      r.cacheHitRate = before && after && after.hits + after.misses - before.hits - before.misses > 0
        ? round2((after.hits - before.hits) / (after.hits + after.misses - before.hits - before.misses))
        : null;
      r.targets.push({ name: 'gateway RPS / floor RPS', value: r.ratio.rps, target: '≥ 1.5', met: r.ratio.rps >= 1.5 });
      results.S4 = r;
    } finally {
      await gw.proc.stop();
    }
  }

  if (flags.soak) {
    await setLatency(urls, 0);
    const gw = await startGateway(urls, false, runtime, true);
    try {
      log(`soak: warm-up ${settings.warmupS * 2} s`);
      await load(gatewayDashboard(gw.url), { durationS: settings.warmupS * 2, connections: settings.connections });
      const afterWarmup = await heapAfterGc(gw.proc);
      log(`soak: ${settings.soakS} s of S1 load`);
      const run = await load(gatewayDashboard(gw.url), { durationS: settings.soakS, connections: settings.connections, watch: { gateway: gw.proc.pid } });
      const afterSoak = await heapAfterGc(gw.proc);
      const growth = round2(((afterSoak.heapUsed - afterWarmup.heapUsed) / afterWarmup.heapUsed) * 100);
      soak = {
        seconds: settings.soakS,
        requests: run.requests,
        failed: run.failed,
        heapAfterWarmupMB: mb(afterWarmup.heapUsed),
        heapAfterSoakMB: mb(afterSoak.heapUsed),
        growthPct: growth,
        rssMaxMB: run.rssMaxMB,
        met: growth <= 10,
      };
      log(`soak: heap ${mb(afterWarmup.heapUsed)} MB → ${mb(afterSoak.heapUsed)} MB (${growth}%)`);
    } finally {
      await gw.proc.stop();
    }
  }

  await floorProc.stop();
  await yogaProc?.stop();
  await backends.stop();

  const report = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick,
    machine: machine(),
    arrangement: {
      gateway: buildNote,
      processes: 'backends (4 services, one process), floor, gateway: separate node processes; autocannon in the bench process; loopback only',
      connections: settings.connections,
      durationS: settings.durationS,
      rounds: settings.rounds,
      warmupS: settings.warmupS,
      s1Tokens: 'a user token per user (role user, reading their own dashboard); S3 an admin token',
    },
    scenarios: results,
    memory: { peakRssS1MB: peakRssS1, soak },
    elapsedS: Math.round((Date.now() - started) / 1000),
  };
  // Only a full default run replaces the recorded figures.
  const partial = flags.compressed || flags.entry !== undefined || flags.compare !== undefined || flags['node-args'] !== undefined || flags['compare-node-args'] !== undefined || flags.only !== undefined || flags['cpu-prof'] || flags['no-build'] || flags.env !== undefined || flags.connections !== undefined || flags.duration !== undefined || flags.rounds !== undefined || flags.warmup !== undefined;
  const base = quick ? 'quick' : partial ? 'partial' : 'latest';
  writeFileSync(join(RESULTS, `${base}.json`), JSON.stringify(report, null, 2) + '\n');
  const md = markdown(report.machine, report.arrangement, results, soak, `${report.command} (${report.date.slice(0, 16).replace('T', ' ')} UTC, ${report.elapsedS} s; ${buildNote})`);
  writeFileSync(join(RESULTS, `${base}.md`), md);
  process.stdout.write(`\n${md}\n`);
  if (flags['update-docs'] && base === 'latest') updateBenchmarkDoc(md);

  const problems: string[] = [];
  for (const [name, r] of Object.entries(results)) {
    if (!(r.floor.median.rps > 0) || !(r.gateway.median.rps > 0)) problems.push(`${name}: no numbers`);
    if (r.floor.failed > 0) problems.push(`${name}: ${r.floor.failed} floor requests failed`);
    if (r.gateway.failed > 0) problems.push(`${name}: ${r.gateway.failed} gateway requests failed`);
  }
  for (const s of only) if (!(s in results)) problems.push(`${s}: did not run`);
  if (problems.length > 0) {
    process.stderr.write(`bench: FAILED\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
  }
  log(`done in ${report.elapsedS} s; wrote bench/results/${base}.json and ${base}.md`);
  process.exit(0);
}

async function cacheStats(url: string): Promise<{ hits: number; misses: number } | null> {
  try {
    const res = await fetch(`${url}/api/gateway/stats`);
    if (!res.ok) return null;
    const body = (await res.json()) as { cache?: { hits?: number; misses?: number } };
    const c = body.cache;
    return typeof c?.hits === 'number' && typeof c.misses === 'number' ? { hits: c.hits, misses: c.misses } : null;
  } catch {
    return null;
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;

function machine() {
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
function compareLabel(): string {
  const parts = [flags.compare !== undefined ? `\`--compare ${flags.compare}\`` : '', flags['compare-node-args'] !== undefined ? `\`--compare-node-args "${flags['compare-node-args']}"\`` : ''];
  return parts.filter(Boolean).join(' ');
}

function markdown(
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
    const met = r.targets.every((x) => x.met !== false) ? 'yes' : `**no** (${r.targets.filter((x) => x.met === false).map((x) => x.name).join(', ')})`;
    lines.push(
      `| ${name} ${r.title} | ${r.floor.median.rps} | ${r.gateway.median.rps} | ${r.ratio.rps} | ${r.floor.median.p50} / ${r.floor.median.p99} | ${r.gateway.median.p50} / ${r.gateway.median.p99} | ${r.floor.spreadPct.rps}% / ${r.gateway.spreadPct.rps}% | ${r.floor.rpsPerCpuS ?? 'n/a'} / ${r.gateway.rpsPerCpuS ?? 'n/a'} (${r.ratio.rpsPerCpuS ?? 'n/a'}) | ${t} | ${met} |`,
    );
  }
  const loads = Object.values(results).flatMap((r) => [...r.floor.rounds, ...r.gateway.rounds].map((x) => x.loadavg1));
  if (loads.length > 0) {
    lines.push('', `Load average (1 min) at the end of the rounds: ${Math.min(...loads)}–${Math.max(...loads)} on ${m.nproc} cores${Math.max(...loads) > m.nproc + 0.5 ? ': other work shared the machine, so RPS is noisy; the per-CPU-second column is the steadier comparison' : ''}.`);
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
  if (results.S3?.backendRequestsPerQuery) {
    lines.push('', `S3 backend requests per query: floor ${results.S3.backendRequestsPerQuery.floor}, gateway ${results.S3.backendRequestsPerQuery.gateway}.`);
  }
  if (results.S4) {
    const s4 = results.S4;
    lines.push('', `S4: the gateway made ${s4.gatewayBackendCalls ?? 'n/a'} backend requests during its measured rounds (${s4.gateway.rounds.reduce((n, x) => n + x.requests, 0)} GraphQL requests); cache hit rate ${s4.cacheHitRate ?? 'n/a (no /api/gateway/stats)'}.`);
  }
  if (soak) {
    lines.push('', `Soak: ${soak.seconds} s of S1, heap after GC ${soak.heapAfterWarmupMB} MB after warm-up → ${soak.heapAfterSoakMB} MB (${soak.growthPct}%, target ≤ 10%: ${soak.met ? 'met' : 'not met'}).`);
  }
  return lines.join('\n') + '\n';
}

function updateBenchmarkDoc(md: string): void {
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

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
