import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, TEST_SIGNING_SECRET, gatewayEnv, mintToken, startStack } from '../support/stack.js';

/**
 * Lifecycle: the real process edge (`src/main.ts`) in a subprocess. On SIGTERM the
 * readiness flips, new connections are refused, the request in flight finishes, and the
 * process exits 0. Node runs the TypeScript through tsx's loader directly (no wrapper
 * process between the signal and the gateway).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/main.ts');
const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('lifecycle: graceful shutdown', () => {
  let backends: ReferenceBackends;
  let child: ChildProcess | undefined;
  let stdout = '';
  const cwd = mkdtempSync(join(tmpdir(), 'gw-lifecycle-'));

  beforeAll(async () => {
    backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, signingSecret: TEST_SIGNING_SECRET });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await backends?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  function startGateway(): Promise<string> {
    child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? cwd,
        ...gatewayEnv(backends.urls),
        FEATURE_SYNC_MONITORING: 'false',
        PASSTHROUGH_TIMEOUT: '10000',
        SHUTDOWN_GRACE_PERIOD: '10000',
        HOST: '127.0.0.1',
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Promise((done, fail) => {
      // Generous: tsx compiles the whole gateway on the fly, slow on a busy CI machine.
      const timer = setTimeout(() => fail(new Error(`the gateway did not start: ${stdout}`)), 60_000);
      child!.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          done(m[1]!);
        }
      });
      child!.stderr!.on('data', (d: Buffer) => (stdout += d.toString()));
      child!.on('exit', (code) => fail(new Error(`the gateway exited (${code}) before listening: ${stdout}`)));
    });
  }

  it('SIGTERM during a slow request: it finishes, new connections are refused, exit code 0', async () => {
    const url = await startGateway();
    const ready = await request(`${url}/health/ready`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();

    const token = await mintToken(TEST_JWT_SECRET, 'u1', 'user');
    backends.comment.faults.set({ latencyMs: 3000 });
    const slow = request(`${url}/api/comments/echo`, { headers: { authorization: `Bearer ${token}` }, reset: true }).then(async (res) => ({
      status: res.statusCode,
      body: (await res.body.json()) as { path: string },
    }));
    // The request is in flight once the backend holds it.
    await vi.waitFor(() => expect(backends.comment.requests.count()).toBe(1), { timeout: 5000 });
    const exited = new Promise<number | null>((done) => child!.on('exit', (code) => done(code)));
    child!.kill('SIGTERM');

    // New connections are refused while the slow request is still running.
    await vi.waitFor(
      async () => {
        const err = await request(`${url}/health`, { reset: true }).then(
          async (r) => {
            await r.body.dump();
            return null;
          },
          (e: unknown) => e as { code?: string },
        );
        expect(err?.code).toBe('ECONNREFUSED');
      },
      { timeout: 2500, interval: 50 },
    );

    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.body.path).toBe('/api/comments/echo');
    expect(await exited).toBe(0);
    expect(stdout).toContain('shutting down');
  }, 90_000);

  it('a request that outlives the grace period is cut off, and close() still finishes (pools, timers, caches)', async () => {
    const stack = await startStack({ env: { PASSTHROUGH_TIMEOUT: '60000' }, app: { shutdownGraceMs: 300 } });
    try {
      stack.backends.nps.faults.set({ hang: true });
      const token = await stack.token('u1');
      const hung = request(`${stack.url}/api/nps/summary`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.statusCode,
        (e: unknown) => (e as { code?: string }).code ?? 'error',
      );
      await vi.waitFor(() => expect(stack.backends.nps.requests.count()).toBe(1));
      await stack.app.close();
      expect(await hung).not.toBe(200);
    } finally {
      await stack.backends.close();
    }
  });
});
