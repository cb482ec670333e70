import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { startBackends, STATUS_PATH, type ReferenceBackends } from '../../reference-backends/index.js';
import { waitFor } from './kit.js';
import { linesWithMsg } from './log-capture.js';
import {
  clearBackendLog,
  countBackendRequests,
  gatewayEnv,
  mintToken,
  postGraphql,
  TEST_JWT_SECRET,
  TEST_SIGNING_SECRET,
  type GraphqlResponse,
} from './stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One gateway process of a {@link Replicas} cluster. */
export class Replica {
  /** Its JSON log lines so far (stdout). */
  readonly lines: Array<Record<string, unknown>> = [];
  #buffer = '';
  #url: string | undefined;

  constructor(
    readonly id: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === 'gateway listening') this.#url = String(entry.url);
          this.lines.push(entry);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
  }

  /** Where it listens: the port the kernel gave it (PORT=0), as its "gateway listening" line says. */
  get url(): string {
    if (this.#url === undefined) throw new Error(`replica ${this.id} is not listening yet`);
    return this.#url;
  }

  get listening(): boolean {
    return this.#url !== undefined;
  }

  /** Its log lines with this message (as `LogCapture.find`). */
  logs(msg: string | RegExp): Array<Record<string, unknown>> {
    return linesWithMsg(this.lines, msg);
  }

  /** One value of `/metrics` (the first sample of `name`, labels given as they print). */
  async metric(name: string): Promise<number | undefined> {
    return (await this.metrics(name))[0];
  }

  /** Several values of one `/metrics` scrape (consistent with each other). */
  async metrics(...names: string[]): Promise<Array<number | undefined>> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return names.map((name) => {
      const match = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} ([0-9.e+-]+)$`, 'm').exec(text);
      return match ? Number(match[1]) : undefined;
    });
  }

  /** POSTs a GraphQL operation with `token` (an empty query: by its persisted-query hash in `extensions` alone). */
  async graphql<R = Record<string, unknown>, V extends Record<string, unknown> = Record<string, unknown>>(
    query: string | TypedDocumentNode<R, V>,
    variables: V | undefined,
    token: string,
    extensions?: Record<string, unknown>,
  ): Promise<Pick<GraphqlResponse<R>, 'status' | 'body'>> {
    // Status and body only: tests compare whole answers of different replicas (headers differ).
    const { status, body } = await postGraphql(this.url, query, variables, { token, extensions });
    return { status, body };
  }
}

export interface ReplicasOptions {
  count?: number;
  redisUrl: string;
  /** Extra environment of every replica. */
  env?: Record<string, string>;
  /** Reported version of every backend (tests keep runs apart with a version of their own). */
  version?: string;
}

/** The reference backends and N real gateway processes (`src/main.ts`) sharing one Redis. */
export interface Replicas {
  backends: ReferenceBackends;
  replicas: Replica[];
  token(sub: string, role?: 'user' | 'admin'): Promise<string>;
  /** Data requests the backends received (all services, or one): the sync monitors' health checks are not counted. */
  backendRequests(service?: keyof ReferenceBackends['urls']): number;
  clearBackendLog(): void;
  close(): Promise<void>;
}

/**
 * Starts the backends in this process and `count` gateway processes (`node --import tsx
 * src/main.ts`, as production runs `main`), each with its own port and GATEWAY_REPLICA_ID
 * `r1`, `r2`…, JSON logs on stdout; resolves once every one answers `/health/ready`.
 */
export async function startReplicas(opts: ReplicasOptions): Promise<Replicas> {
  const backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, signingSecret: TEST_SIGNING_SECRET, version: opts.version });
  const replicas: Replica[] = [];
  const close = async () => {
    await Promise.all(
      replicas.map(async (r) => {
        if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
        const exited = new Promise((resolve) => r.proc.once('exit', resolve));
        r.proc.kill('SIGTERM');
        const timer = setTimeout(() => r.proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await backends.close();
  };
  try {
    for (let i = 1; i <= (opts.count ?? 3); i++) {
      const env = {
        PATH: process.env.PATH ?? '',
        ...gatewayEnv(backends.urls),
        HOST: '127.0.0.1',
        // A port of the kernel's choosing, read back from the log: one picked here could be taken by
        // another test's process before this one binds it.
        PORT: '0',
        REDIS_URL: opts.redisUrl,
        GATEWAY_REPLICA_ID: `r${i}`,
        LOG_LEVEL: 'info',
        ORCHESTRATION_TIMEOUT: '2000',
        ...opts.env,
      };
      const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
      replicas.push(new Replica(`r${i}`, proc));
    }
    for (const r of replicas) {
      await waitFor(
        async () => {
          if (r.proc.exitCode !== null) throw new Error(`replica ${r.id} exited with ${r.proc.exitCode}`);
          if (!r.listening) return false;
          return (await fetch(`${r.url}/health/ready`).catch(() => undefined))?.status === 200;
        },
        // Three processes compiling src/ through tsx at once, on a machine that may be busy.
        60_000,
        100,
        `replica ${r.id} ready`,
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    backends,
    replicas,
    token: (sub, role = 'user') => mintToken(TEST_JWT_SECRET, sub, role),
    backendRequests: (service) => countBackendRequests(backends, service, (req) => req.path !== '/health' && req.path !== STATUS_PATH),
    clearBackendLog: () => clearBackendLog(backends),
    close,
  };
}
