import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SIGNING_SECRET, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/** `npm run sync:check` / `sync:status` as subprocesses against real backends and a real gateway. */
const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Each run starts tsx (a few seconds of CPU on a busy machine): at most three at once.
let running = 0;
const queue: Array<() => void> = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

function cli(script: 'sync-check' | 'sync-status', args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return slot(() => run(script, args, env));
}

function run(script: 'sync-check' | 'sync-status', args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [join(ROOT, 'src', 'cli', `${script}.ts`), ...args],
      // A clean environment: only PATH/HOME and what the test gives (no .env is read from a temp cwd).
      { cwd: import.meta.dirname, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: undefined, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('sync CLI', { timeout: 180_000 }, () => {
  let stack: Stack;
  let clock: ManualClock;
  let env: Record<string, string>;
  let admin: string;

  beforeAll(async () => {
    clock = new ManualClock();
    stack = await startStack({
      env: {
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_CHECK_INTERVAL: String(24 * 3_600_000),
        SYNC_WARNING_THRESHOLD: '300000',
        SYNC_CRITICAL_THRESHOLD: '600000',
        SYNC_AUTO_UPDATE: 'false',
        MONITORING_PUBLIC: 'false',
      },
      app: { sync: { clock } },
    });
    await stack.app.services.sync.check();
    admin = await stack.token('u2', 'admin');
    env = {
      AUTH_SERVICE_URL: stack.backends.urls.auth,
      COMMENT_SERVICE_URL: stack.backends.urls.comment,
      INDUSTRY_SERVICE_URL: stack.backends.urls.industry,
      NPS_SERVICE_URL: stack.backends.urls.nps,
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
      GATEWAY_TOKEN: admin,
    };
  });
  afterAll(async () => {
    await stack?.close();
  });

  const noStack = (r: Run) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);

  it('all in sync: exit 0 in every mode; --json has the shape of gateway.md; a table without colour when not a TTY', async () => {
    const [both, gatewayOnly, servicesOnly, text] = await Promise.all([
      cli('sync-check', ['--json', '--url', stack.url], env),
      cli('sync-check', ['--gateway-only', '--json', '--url', stack.url], env),
      cli('sync-check', ['--services-only', '--json'], env),
      cli('sync-check', ['--url', stack.url], env),
    ]);
    expect([both.code, gatewayOnly.code, servicesOnly.code, text.code]).toEqual([0, 0, 0, 0]);

    const b = JSON.parse(both.stdout) as Record<string, unknown> & {
      services: Array<Record<string, unknown>>;
      gateway: Record<string, unknown>;
    };
    expect(Object.keys(b).sort()).toEqual(['expectedVersion', 'gateway', 'services', 'status']);
    expect(b).toMatchObject({ status: 'in_sync', expectedVersion: '1.0.0', gateway: { status: 'in_sync', expectedVersion: '1.0.0' } });
    expect(b.services.map((s) => s.name)).toEqual(['auth', 'comment', 'industry', 'nps']);
    for (const s of b.services) {
      expect(s).toMatchObject({
        version: '1.0.0',
        expectedVersion: '1.0.0',
        state: 'in_sync',
        outOfSyncSince: null,
        error: null,
        healthy: true,
      });
      expect(Object.keys(s)).toEqual(
        expect.arrayContaining(['name', 'version', 'expectedVersion', 'state', 'outOfSyncSince', 'lastUpdated', 'lastCheckedAt', 'error']),
      );
    }
    const g = JSON.parse(gatewayOnly.stdout) as Record<string, unknown> & { services: unknown[] };
    expect(g).toMatchObject({ status: 'in_sync', gateway: { status: 'in_sync' } });
    expect(g.services).toHaveLength(4);
    expect(JSON.parse(servicesOnly.stdout)).toMatchObject({ status: 'in_sync', gateway: null });

    expect(text.stdout).toMatch(/^Shared knowledge sync: in_sync \(expected 1\.0\.0\)/);
    expect(text.stdout).toMatch(/SERVICE\s+REPORTS\s+STATE\s+GATEWAY SEES\s+GATEWAY STATE/);
    expect(text.stdout).toMatch(/comment\s+1\.0\.0\s+in_sync\s+1\.0\.0\s+in_sync/);
    expect(text.stdout).not.toContain('\u001b[');

    // The services were asked with valid signatures, like the gateway asks them.
    const direct = stack.backends.auth.requests.all().filter((r) => String(r.headers['x-request-id']).startsWith('sync-check-'));
    expect(direct.length).toBeGreaterThanOrEqual(2);
    expect(direct.every((r) => r.signatureValid === true)).toBe(true);
  });

  it('exit 1 for out_of_sync and unknown, 2 for unreachable and critical', async () => {
    stack.backends.comment.faults.set({ version: '1.1.0' });
    const outOfSync = await cli('sync-check', ['--services-only', '--json'], env);
    expect(outOfSync.code).toBe(1);
    expect(JSON.parse(outOfSync.stdout)).toMatchObject({ status: 'out_of_sync' });

    stack.backends.comment.faults.set({ version: null });
    const unknown = await cli('sync-check', ['--services-only', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ status: 'unknown' });
    stack.backends.comment.faults.set({ version: '1.1.0' });

    // The gateway: out_of_sync, then critical once the threshold has passed.
    await stack.app.services.sync.check();
    const gwOut = await cli('sync-check', ['--gateway-only', '--json', '--url', stack.url], env);
    expect(gwOut.code).toBe(1);
    await clock.advance(600_000);
    const [critical, criticalText] = await Promise.all([
      cli('sync-check', ['--gateway-only', '--json', '--url', stack.url], env),
      cli('sync-check', ['--gateway-only', '--url', stack.url], env),
    ]);
    expect(critical.code).toBe(2);
    expect(JSON.parse(critical.stdout)).toMatchObject({ status: 'critical' });
    expect(criticalText.code).toBe(2);
    expect(criticalText.stdout).toMatch(/comment\s+1\.1\.0\s+critical/);
    stack.backends.comment.faults.set({ version: '1.0.0' });
    await stack.app.services.sync.check();

    const dead = await deadUrl();
    const [gwDead, servicesDead, bothDead] = await Promise.all([
      cli('sync-check', ['--gateway-only', '--json', '--url', dead], env),
      cli('sync-check', ['--services-only', '--json'], { ...env, NPS_SERVICE_URL: dead }),
      cli('sync-check', ['--url', dead], env),
    ]);
    expect(gwDead.code).toBe(2);
    expect(JSON.parse(gwDead.stdout)).toMatchObject({
      status: 'unreachable',
      services: [],
      gateway: { status: 'unreachable', error: expect.stringMatching(/unreachable/) },
    });
    expect(servicesDead.code).toBe(2);
    expect(JSON.parse(servicesDead.stdout).services[3]).toMatchObject({ name: 'nps', state: 'unreachable', healthy: false });
    expect(bothDead.code).toBe(2);
    expect(bothDead.stdout).toMatch(/Gateway http:\/\/127\.0\.0\.1:\d+: unreachable/);
    for (const r of [gwDead, servicesDead, bothDead]) noStack(r);
  });

  it('usage and configuration errors: a clear message, exit 3, no stack trace; --help exits 0', async () => {
    const runs = await Promise.all([
      cli('sync-check', ['--bogus'], env),
      cli('sync-check', ['--gateway-only', '--services-only'], env),
      cli('sync-check', ['--url', 'not a url', '--gateway-only'], env),
      cli('sync-check', ['--services-only'], { GATEWAY_TOKEN: admin }),
      cli('sync-check', ['--gateway-only', '--url', stack.url], { ...env, GATEWAY_TOKEN: undefined }),
      cli('sync-check', ['--gateway-only', '--url', stack.url], { ...env, GATEWAY_TOKEN: await stack.token('u1') }),
      cli('sync-check', ['--services-only'], { ...env, SHARED_KNOWLEDGE_VERSION: 'latest' }),
      cli('sync-check', ['extra'], env),
    ]);
    const messages = [
      /Unknown option '--bogus'/,
      /exclude each other/,
      /--url must be an http/,
      /AUTH_SERVICE_URL is not set[\s\S]*NPS_SERVICE_URL is not set/,
      /401.*no credentials were given.*GATEWAY_TOKEN/,
      /403.*credentials were refused/,
      /SHARED_KNOWLEDGE_VERSION must be a semantic version/,
      /positional argument/i,
    ];
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(messages[i]!);
      expect(r.stderr).toContain('Usage: npm run sync:check');
      noStack(r);
    });
    const help = await cli('sync-check', ['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--gateway-only[\s\S]*--services-only[\s\S]*--json[\s\S]*--url[\s\S]*Exit codes/);
  });

  it('sync:status prints the gateway report (0), unreachable (2), missing or refused credentials (3)', async () => {
    const dead = await deadUrl();
    const [text, json, unreachable, missing, bad] = await Promise.all([
      cli('sync-status', ['--url', stack.url], env),
      cli('sync-status', ['--json', '--url', stack.url], env),
      cli('sync-status', ['--url', dead], env),
      cli('sync-status', ['--url', stack.url], {}),
      cli('sync-status', ['--what'], env),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Gateway http:\/\/127\.0\.0\.1:\d+: in_sync \(expected 1\.0\.0/);
    expect(text.stdout).toMatch(/Recent state changes:[\s\S]*comment\s+warning -> critical/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'in_sync',
      services: expect.arrayContaining([expect.objectContaining({ name: 'auth', history: expect.any(Array) })]),
    });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/unreachable/);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/GATEWAY_TOKEN/);
    expect(bad.code).toBe(3);
    for (const r of [text, unreachable, missing, bad]) noStack(r);
  });

  // Product-notes.md writes `npm run sync:check --services-only` (no `--`); npm keeps
  // such flags as npm_config_* variables, and the CLI takes them back.
  it('npm run sync:check --services-only --json, as documented (without --), checks the services only', async () => {
    const r = await slot(
      () =>
        new Promise<Run>((resolve) => {
          execFile(
            'npm',
            ['run', '--silent', 'sync:check', '--services-only', '--json'],
            { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 },
            (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
          );
        }),
    );
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { status: string; gateway: unknown; services: unknown[] };
    expect(body).toMatchObject({ status: 'in_sync', gateway: null });
    expect(body.services).toHaveLength(4);
  });
});
