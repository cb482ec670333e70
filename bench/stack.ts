/** The gateway under test and the backends' control routes, as the scenarios use them. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayEnv as backendEnv, mintToken, type BackendUrls } from '../test/support/kit.js';
import { setFaults } from './backend-faults.js';
import { extraEnv, flags, gatewayNodeArgs, JWT_SECRET, RESULTS } from './cli.js';
import { DASHBOARD_QUERY } from './queries.js';
import { freePort } from './free-port.js';
import { start, waitReady, type Proc } from './processes.js';

export function token(sub: string, role: 'user' | 'admin'): Promise<string> {
  return mintToken(JWT_SECRET, sub, role, '6h');
}

/**
 * S1-persisted sends S1's dashboard by hash: the manifest (`GRAPHQL_PERSISTED_OPERATIONS`) every
 * bench gateway starts with. Only requests that carry a hash look it up, so the other scenarios
 * run as before.
 */
export const DASHBOARD_HASH = createHash('sha256').update(DASHBOARD_QUERY).digest('hex');
const MANIFEST_PATH = join(RESULTS, 'persisted-operations.json');

function writeManifest(): string {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(MANIFEST_PATH, `${JSON.stringify({ [DASHBOARD_HASH]: DASHBOARD_QUERY }, null, 2)}\n`);
  return MANIFEST_PATH;
}

export type Urls = BackendUrls;

export async function setLatency(urls: Urls, latencyMs: number): Promise<void> {
  await Promise.all(Object.values(urls).map((u) => setFaults(u, { latencyMs })));
}

export async function backendRequests(urls: Urls, clear = false): Promise<number> {
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

export function gatewayEnv(urls: Urls, port: number, cache: boolean): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...backendEnv(urls, { jwtSecret: JWT_SECRET }),
    ORCHESTRATION_CACHE_ENABLED: String(cache),
    // S4 measures the steady state (every dashboard a hit): TTLs longer than the scenario.
    ...(cache ? { CACHE_TTL_DASHBOARD: '900000', CACHE_TTL_USER: '900000' } : {}),
    LOG_LEVEL: 'warn',
    FEATURE_SYNC_MONITORING: 'false',
    RATE_LIMIT_MAX: '100000000',
    MONITORING_PUBLIC: 'true',
    GRAPHIQL: 'false',
    GRAPHQL_PERSISTED_OPERATIONS: writeManifest(),
    ...extraEnv,
  };
}

export async function startGateway(
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
  const alloc = flags.alloc ? ['--import', './bench/alloc-probe.mjs'] : [];
  const env = { ...gatewayEnv(urls, port, cache), ...(flags.alloc ? { BENCH_ALLOC_DIR: join(RESULTS, 'profiles') } : {}) };
  if (flags.alloc) mkdirSync(join(RESULTS, 'profiles'), { recursive: true });
  const proc = start(`gateway (cache ${cache ? 'on' : 'off'})`, [...nodeArgs, ...prof, ...gc, ...alloc, ...entry], env);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  return { proc, url };
}

export async function heapAfterGc(proc: Proc): Promise<{ heapUsed: number; rss: number; gc: boolean }> {
  const pending = proc.line('BENCH_HEAP', 10_000);
  proc.child.kill('SIGUSR2');
  return JSON.parse(await pending) as { heapUsed: number; rss: number; gc: boolean };
}

/** KB allocated per request over one load, in all and by package (the largest 12). */
export interface Allocation {
  kbPerRequest: number;
  byPackageKB: Record<string, number>;
}

/** `--alloc`: bytes allocated per request over one load (bench/alloc-probe.mjs samples them), and by package. */
export async function allocationPerRequest(proc: Proc, run: () => Promise<{ requests: number }>): Promise<Allocation> {
  const on = proc.line('BENCH_ALLOC_ON', 10_000);
  proc.child.kill('SIGURG');
  await on;
  const { requests } = await run();
  const done = proc.line('BENCH_ALLOC ', 30_000);
  proc.child.kill('SIGURG');
  const { bytes, byPackage } = JSON.parse(await done) as { bytes: number; byPackage: Record<string, number> };
  const kb = (n: number) => Math.round((n / 1024 / Math.max(requests, 1)) * 10) / 10;
  const byPackageKB = Object.fromEntries(
    Object.entries(byPackage)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, v]) => [k, kb(v)]),
  );
  return { kbPerRequest: kb(bytes), byPackageKB };
}

export async function cacheStats(url: string): Promise<{ hits: number; misses: number } | null> {
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
