import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;
const main = `${root}reference-backends/main.ts`;

interface Run {
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

function run(env: Record<string, string>): Run {
  // A neutral cwd, so a developer's .env does not leak into the test.
  const child = spawn(tsx, [main], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    state.stdout += d.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (state.stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    get stdout() {
      return state.stdout;
    },
    get stderr() {
      return state.stderr;
    },
    exit,
    kill: (signal) => child.kill(signal),
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = state.stdout.match(pattern);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        void exit.then(() => reject(new Error(`exited before printing ${pattern}: ${state.stderr}`)));
      });
    },
  };
}

const ephemeral = { AUTH_PORT: '0', COMMENT_PORT: '0', INDUSTRY_PORT: '0', NPS_PORT: '0' };

describe('npm run backends (reference-backends/main.ts)', () => {
  it('prints the four URLs, serves, and exits 0 on SIGTERM', async () => {
    const proc = run({ ...ephemeral, SHARED_KNOWLEDGE_VERSION: '3.1.4' });
    const match = await proc.waitFor(/nps\s+(http:\/\/127\.0\.0\.1:\d+)/);
    expect(proc.stdout).toMatch(/auth\s+http:\/\/127\.0\.0\.1:\d+/);
    const health = await fetch(`${match[1]}/health`);
    expect(await health.json()).toMatchObject({ status: 'healthy', sharedKnowledgeVersion: '3.1.4' });
    proc.kill('SIGTERM');
    expect(await proc.exit).toBe(0);
  });

  it('refuses bad configuration with one message and exit 1, no stack', async () => {
    const proc = run({ ...ephemeral, AUTH_PORT: 'abc', NPS_PORT: '70000', JWT_SECRET: 'short', BACKEND_LATENCY_MS: 'slow' });
    expect(await proc.exit).toBe(1);
    const lines = proc.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const name of ['AUTH_PORT', 'NPS_PORT', 'JWT_SECRET', 'BACKEND_LATENCY_MS']) expect(lines[0]).toContain(name);
    expect(proc.stderr).not.toMatch(/\n\s+at /);
  });
});
