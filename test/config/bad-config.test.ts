import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Bad configuration stops start-up with ONE message naming every bad variable,
 * exit code 1, no stack trace. The real process edge (`src/main.ts`) runs in a subprocess
 * whose working directory is an empty temp dir, so no `.env` file is read.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const MAIN = join(ROOT, 'src/main.ts');
const cwd = mkdtempSync(join(tmpdir(), 'gw-bad-config-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const GOOD: Record<string, string> = {
  JWT_SECRET: 'a-jwt-secret-that-is-at-least-32-characters-long',
  AUTH_SERVICE_URL: 'http://127.0.0.1:1',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:1',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:1',
  NPS_SERVICE_URL: 'http://127.0.0.1:1',
  FEATURE_SYNC_MONITORING: 'false',
  HOST: '127.0.0.1',
  PORT: '0',
};

function run(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries({ ...GOOD, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return new Promise((done, fail) => {
    const child = spawn(TSX, [MAIN], {
      cwd,
      // Only what the child needs: nothing of this process's own configuration leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...clean },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the gateway did not exit; stdout: ${stdout} stderr: ${stderr}`));
    }, 20_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const cases: Array<[string, Record<string, string | undefined>, string[]]> = [
  ['JWT_SECRET missing', { JWT_SECRET: undefined }, ['JWT_SECRET']],
  ['JWT_SECRET too short', { JWT_SECRET: 'short' }, ['JWT_SECRET', '32']],
  ['a service URL missing', { COMMENT_SERVICE_URL: undefined }, ['COMMENT_SERVICE_URL']],
  ['a service URL that is not http(s)', { NPS_SERVICE_URL: 'ftp://example' }, ['NPS_SERVICE_URL']],
  ['PORT out of range', { PORT: '70000' }, ['PORT']],
  ['ORCHESTRATION_TIMEOUT not a number', { ORCHESTRATION_TIMEOUT: 'soon' }, ['ORCHESTRATION_TIMEOUT']],
  ['CIRCUIT_BREAKER_FAILURE_THRESHOLD zero', { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '0' }, ['CIRCUIT_BREAKER_FAILURE_THRESHOLD']],
  ['a boolean that is not one', { ORCHESTRATION_CACHE_ENABLED: 'maybe' }, ['ORCHESTRATION_CACHE_ENABLED']],
  ['RESPONSE_CACHE_MAX_BODY below 1 KiB', { RESPONSE_CACHE_MAX_BODY: '10' }, ['RESPONSE_CACHE_MAX_BODY']],
  ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, ['LOG_LEVEL']],
  ['NODE_ENV unknown', { NODE_ENV: 'staging' }, ['NODE_ENV']],
  ['REDIS_URL not a redis URL', { REDIS_URL: 'http://127.0.0.1:6379' }, ['REDIS_URL']],
  ['SHARED_KNOWLEDGE_VERSION not semver', { SHARED_KNOWLEDGE_VERSION: 'v1' }, ['SHARED_KNOWLEDGE_VERSION']],
  [
    'SYNC_CRITICAL_THRESHOLD below the warning one',
    { SYNC_WARNING_THRESHOLD: '60000', SYNC_CRITICAL_THRESHOLD: '1000' },
    ['SYNC_CRITICAL_THRESHOLD'],
  ],
  [
    'several bad variables at once: one message naming every one',
    { JWT_SECRET: undefined, AUTH_SERVICE_URL: undefined, PORT: 'eighty', CACHE_STALE_FACTOR: '0.5' },
    ['JWT_SECRET', 'AUTH_SERVICE_URL', 'PORT', 'CACHE_STALE_FACTOR'],
  ],
];

describe('core: bad configuration exits 1 naming the variable', () => {
  it.concurrent.each(cases)('%s', async (_name, env, named) => {
    const { code, stdout, stderr } = await run(env);
    expect(code).toBe(1);
    for (const word of named) expect(stderr).toContain(word);
    expect(stderr).toMatch(/^Invalid configuration:/);
    // No stack trace, no half-started server.
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/\.ts:\d+/);
    expect(stdout).not.toMatch(/listening/);
  });

  it('the good baseline of these cases does start (so each failure above is the variable named)', async () => {
    const child = spawn(TSX, [MAIN], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...GOOD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no "gateway listening" line: ${out}`)), 20_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (out.includes('gateway listening')) {
            clearTimeout(timer);
            ok();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (c) => {
          clearTimeout(timer);
          fail(new Error(`exited ${c}: ${out}`));
        });
      });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
