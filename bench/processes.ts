/** The bench's child processes (backends, floor, gateway builds) and what /proc tells about them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { BackendUrls } from '../test/support/kit.js';
// Not from ./cli.js, which parses the bench's flags on import: the soak (soak/) reuses this module.
import { ROOT } from './project.js';

export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  /**
   * Resolves with the rest of the first stdout/stderr line starting with `pattern`, or, for a
   * RegExp, with its first group in the first line it matches.
   */
  line(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node <args>` in the project root. `onLine` receives every stdout/stderr line (the soak
 * keeps the replicas' JSON logs); `command` runs another program instead of this Node.
 */
export function start(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { onLine?: (text: string, stream: 'out' | 'err') => void; command?: string } = {},
): Proc {
  const child = spawn(opts.command ?? process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const waiting: Array<{ match: (text: string) => string | undefined; resolve: (found: string) => void }> = [];
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
        opts.onLine?.(text, stream);
        for (const w of [...waiting]) {
          const found = w.match(text);
          if (found !== undefined) {
            waiting.splice(waiting.indexOf(w), 1);
            w.resolve(found);
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
    line(pattern, timeoutMs = 30_000) {
      const match =
        typeof pattern === 'string'
          ? (text: string) => (text.startsWith(pattern) ? text.slice(pattern.length).trim() : undefined)
          : (text: string) => pattern.exec(text)?.[1];
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: no "${String(pattern)}" line within ${timeoutMs} ms\n${tail}`)),
          timeoutMs,
        );
        waiting.push({ match, resolve: (found) => (clearTimeout(timer), resolve(found)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before "${String(pattern)}"\n${tail}`));
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

/**
 * Starts the reference backends (`bench/backends.ts`, the four services in one process) and
 * resolves with their URLs once it names them; `timeoutMs` as for `Proc.line`.
 */
export async function startBackends(jwtSecret: string, timeoutMs?: number): Promise<{ proc: Proc; urls: BackendUrls }> {
  const proc = start('backends', ['--import', 'tsx', 'bench/backends.ts'], { JWT_SECRET: jwtSecret });
  const urls = JSON.parse(await proc.line('BENCH_BACKENDS', timeoutMs)) as BackendUrls;
  return { proc, urls };
}

export async function waitReady(url: string, proc: Proc, timeoutMs = 30_000): Promise<void> {
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
export function procMemMB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** Linux: user+system CPU seconds a process has used; null elsewhere. */
export function procCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return null;
  }
}
