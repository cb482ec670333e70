import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SIGNING_SECRET, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/**
 * `node scripts/check-sync.js --json`, the command product-notes.md gives
 * operators, works after a build with the machine's own Node.js (not the project's Node 22).
 * The build goes to a temp dir inside the project (so `node_modules` resolves), next to a copy
 * of the script, so the script finds it at `../dist` exactly as it finds the real build.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'check-sync.js');
// The system's node: PATH without the project's node_modules/.bin (where npm and npx put Node 22).
const SYSTEM_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((p) => !p.includes('node_modules'))
  .join(delimiter);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function systemNode(script: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/env',
      ['node', script, ...args],
      { cwd, env: { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? cwd, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('node scripts/check-sync.js', { timeout: 240_000 }, () => {
  let dir: string;
  let stack: Stack;
  let env: Record<string, string>;
  const systemVersion = execFileSync('/usr/bin/env', ['node', '--version'], { env: { PATH: SYSTEM_PATH }, encoding: 'utf8' }).trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(ROOT, '.tmp-check-sync-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(SCRIPT, join(dir, 'scripts', 'check-sync.js'));
    // `npm run build` (tsc -p tsconfig.build.json) into the temp dir; --noCheck: the same output
    // without the type check, which `npm run typecheck` does (and which takes a minute here).
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await promisify(execFile)(
      process.execPath,
      [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist'), '--noCheck'],
      { cwd: ROOT },
    );

    stack = await startStack({
      env: { FEATURE_SYNC_MONITORING: 'true', SYNC_CHECK_INTERVAL: String(24 * 3_600_000) },
      app: { sync: { clock: new ManualClock() } },
    });
    await stack.app.services.sync.check();
    const { urls } = stack.backends;
    env = {
      AUTH_SERVICE_URL: urls.auth,
      COMMENT_SERVICE_URL: urls.comment,
      INDUSTRY_SERVICE_URL: urls.industry,
      NPS_SERVICE_URL: urls.nps,
      GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET,
    };
    // The build takes long on a busy machine.
  }, 240_000);
  afterAll(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`runs on the system node (${systemVersion}): --json, all in sync, exit 0`, async () => {
    expect(Number(/^v(\d+)/.exec(systemVersion)?.[1])).toBeGreaterThanOrEqual(20);
    const r = await systemNode(join(dir, 'scripts', 'check-sync.js'), ['--json', '--url', stack.url], env, dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as {
      status: string;
      expectedVersion: string;
      services: Array<{ name: string; state: string; version: string }>;
      gateway: { status: string };
    };
    expect(Object.keys(body).sort()).toEqual(['expectedVersion', 'gateway', 'services', 'status']);
    expect(body.status).toBe('in_sync');
    expect(body.expectedVersion).toBe('1.0.0');
    expect(body.services.map((s) => [s.name, s.state, s.version])).toEqual([
      ['auth', 'in_sync', '1.0.0'],
      ['comment', 'in_sync', '1.0.0'],
      ['industry', 'in_sync', '1.0.0'],
      ['nps', 'in_sync', '1.0.0'],
    ]);
    expect(body.gateway.status).toBe('in_sync');
  });

  it('a service out of sync: exit 1 and the JSON says which', async () => {
    stack.backends.nps.faults.set({ version: '1.2.0' });
    try {
      const r = await systemNode(join(dir, 'scripts', 'check-sync.js'), ['--json', '--services-only'], env, dir);
      expect(r.code).toBe(1);
      const body = JSON.parse(r.stdout) as { status: string; services: Array<{ name: string; state: string }>; gateway: unknown };
      expect(body.status).toBe('out_of_sync');
      expect(body.services.find((s) => s.name === 'nps')?.state).toBe('out_of_sync');
      expect(body.gateway).toBeNull();
    } finally {
      stack.backends.nps.faults.reset();
    }
  });

  it('bad flags: exit 3 with the usage, no stack trace', async () => {
    const r = await systemNode(join(dir, 'scripts', 'check-sync.js'), ['--bogus'], env, dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Usage:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('without a build: exit 3 and a message that says to run npm run build', async () => {
    const bare = mkdtempSync(join(ROOT, '.tmp-check-sync-bare-'));
    try {
      mkdirSync(join(bare, 'scripts'));
      copyFileSync(SCRIPT, join(bare, 'scripts', 'check-sync.js'));
      const r = await systemNode(join(bare, 'scripts', 'check-sync.js'), ['--json'], env, bare);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/npm run build/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
