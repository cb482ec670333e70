import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { DEV_DEFAULTS, devEnvironment } from '../../scripts/dev.js';
import { loadConfig } from '../../src/config/index.js';
import { mintToken, TEST_JWT_SECRET } from '../support/stack.js';

const ROOT = resolve(import.meta.dirname, '../..');
const scripts = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const BASE = {
  JWT_SECRET: TEST_JWT_SECRET,
  AUTH_SERVICE_URL: 'http://127.0.0.1:4001',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:4002',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:4003',
  NPS_SERVICE_URL: 'http://127.0.0.1:4004',
};

/**
 * `LOG_LEVEL=debug FEATURE_REQUEST_TRACING=true npm run dev` (the documented debug
 * mode) must trace: the dev scripts' values are defaults the environment overrides.
 */
describe('npm run dev / dev:enhanced', () => {
  it('package.json runs both through scripts/dev.ts, with no hard-coded variables', () => {
    expect(scripts.dev).toBe('tsx scripts/dev.ts');
    expect(scripts['dev:enhanced']).toBe('tsx scripts/dev.ts --enhanced');
  });

  it('unset: the mode defaults apply', () => {
    const dev = loadConfig(devEnvironment('dev', BASE));
    expect(dev.sync.enabled).toBe(false);
    expect(dev.requestTracing).toBe(false);
    expect(dev.log).toEqual({ level: 'info', colors: false });
    const enhanced = loadConfig(devEnvironment('enhanced', BASE));
    expect(enhanced.requestTracing).toBe(true);
    expect(enhanced.sync.enabled).toBe(true);
    expect(enhanced.log).toEqual({ level: 'debug', colors: true });
  });

  it('set: the environment wins over every default, and reaches the config', () => {
    const dev = loadConfig(
      devEnvironment('dev', { ...BASE, LOG_LEVEL: 'debug', FEATURE_REQUEST_TRACING: 'true', FEATURE_SYNC_MONITORING: 'true' }),
    );
    expect(dev.log.level).toBe('debug');
    expect(dev.requestTracing).toBe(true);
    expect(dev.sync.enabled).toBe(true);
    const enhanced = loadConfig(
      devEnvironment('enhanced', { ...BASE, ENABLE_COLORS: 'false', LOG_LEVEL: 'warn', FEATURE_REQUEST_TRACING: 'false' }),
    );
    expect(enhanced.log).toEqual({ level: 'warn', colors: false });
    expect(enhanced.requestTracing).toBe(false);
    // Empty means unset, as in the config.
    expect(devEnvironment('dev', { FEATURE_REQUEST_TRACING: '' }).FEATURE_REQUEST_TRACING).toBe(DEV_DEFAULTS.dev.FEATURE_REQUEST_TRACING);
  });

  describe('the real npm run dev', () => {
    let backends: ReferenceBackends;
    beforeAll(async () => {
      backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
    });
    afterAll(() => backends?.close());

    /** Runs `npm run <script>` until the gateway listens; `use` gets its URL and the JSON lines so far. */
    async function withDev(
      script: string,
      env: Record<string, string>,
      use: (url: string, lines: () => Array<Record<string, unknown>>) => Promise<void>,
    ): Promise<void> {
      const child = spawn('npm', ['run', '--silent', script], {
        cwd: ROOT,
        // Its own process group, so the whole tree (npm, tsx watch, the gateway) is stopped together.
        detached: true,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? ROOT,
          ...BASE,
          AUTH_SERVICE_URL: backends.urls.auth,
          COMMENT_SERVICE_URL: backends.urls.comment,
          INDUSTRY_SERVICE_URL: backends.urls.industry,
          NPS_SERVICE_URL: backends.urls.nps,
          HOST: '127.0.0.1',
          PORT: '0',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const parsed: Array<Record<string, unknown>> = [];
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        const url = await new Promise<string>((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`no "gateway listening" line; stdout: ${stdout} stderr: ${stderr}`)), 60_000);
          child.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
            const lines = stdout.split('\n');
            stdout = lines.pop()!;
            for (const line of lines) {
              if (!line.startsWith('{')) continue;
              const obj = JSON.parse(line) as Record<string, unknown>;
              parsed.push(obj);
              if (obj.msg === 'gateway listening') {
                clearTimeout(timer);
                done(String(obj.url));
              }
            }
          });
          child.on('exit', (code) => fail(new Error(`exited with ${code}; stdout: ${stdout} stderr: ${stderr}`)));
        });
        await use(url, () => parsed);
      } finally {
        if (child.exitCode === null) {
          const exited = new Promise((done) => child.once('exit', done));
          process.kill(-child.pid!, 'SIGTERM');
          await exited;
        }
      }
    }

    it('LOG_LEVEL=debug FEATURE_REQUEST_TRACING=true FEATURE_SYNC_MONITORING=true npm run dev: debug lines, traced upstream calls, sync monitoring on', async () => {
      await withDev('dev', { LOG_LEVEL: 'debug', FEATURE_REQUEST_TRACING: 'true', FEATURE_SYNC_MONITORING: 'true' }, async (url, lines) => {
        const token = await mintToken(TEST_JWT_SECRET, 'u1', 'user');
        expect((await fetch(`${url}/api/industries`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        const sync = (await (await fetch(`${url}/api/gateway/sync/status`)).json()) as { enabled?: boolean };
        expect(sync.enabled).toBe(true);
        await expect.poll(() => lines().filter((l) => l.msg === 'upstream call').length, { timeout: 10_000 }).toBeGreaterThan(0);
        expect(lines().some((l) => l.level === 20)).toBe(true);
      });
    }, 120_000);

    it('ENABLE_COLORS=false LOG_LEVEL=info FEATURE_REQUEST_TRACING=false npm run dev:enhanced: JSON lines, no debug, no tracing', async () => {
      await withDev('dev:enhanced', { ENABLE_COLORS: 'false', LOG_LEVEL: 'info', FEATURE_REQUEST_TRACING: 'false' }, async (url, lines) => {
        const token = await mintToken(TEST_JWT_SECRET, 'u1', 'user');
        expect((await fetch(`${url}/api/industries`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        expect(lines().filter((l) => l.msg === 'upstream call')).toEqual([]);
        expect(lines().some((l) => (l.level as number) < 30)).toBe(false);
      });
    }, 120_000);
  });
});
