import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions } from '../../src/app.js';
import { loadConfig, type GatewayConfig } from '../../src/config/index.js';
import { startBackends, type ReferenceBackends, type StartBackendsOptions } from '../../reference-backends/index.js';
import { gatewayEnv as kitGatewayEnv, mintToken, type ManualClock } from './kit.js';

export { ManualClock, mintToken, waitFor } from './kit.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789';

/** Captured log lines of a test gateway. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger;
  constructor(level = 'debug') {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    this.logger = pino({ level }, stream);
  }
  find(msg: string | RegExp): Array<Record<string, unknown>> {
    return this.lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
  }
}

export interface StackOptions {
  /** Extra gateway environment (strings, as in process.env). */
  env?: Record<string, string>;
  backends?: Partial<StartBackendsOptions>;
  /** Extra `createGatewayApp` options (e.g. the sync monitor's manual clock). */
  app?: Partial<Omit<GatewayAppOptions, 'config' | 'logger'>>;
  /** The gateway's clock for caches, versions and tokens (`app.now`): TTLs pass by `clock.advance(ms)`, not by sleeping. */
  clock?: ManualClock;
  /** Sign upstream calls (default true). */
  signed?: boolean;
  logLevel?: string;
}

export interface Stack {
  backends: ReferenceBackends;
  app: GatewayApp;
  url: string;
  logs: LogCapture;
  token(sub: string, role?: 'user' | 'admin', extra?: { expiresIn?: string }): Promise<string>;
  /** POSTs a GraphQL operation; returns status and parsed body. */
  graphql<R = Record<string, unknown>, V = Record<string, unknown>>(
    query: string | TypedDocumentNode<R, V>,
    variables?: V,
    opts?: { token?: string; headers?: Record<string, string> },
  ): Promise<{
    status: number;
    body: {
      data?: R | null;
      errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
      extensions?: Record<string, unknown>;
    };
    headers: Headers;
  }>;
  /** Between tests: backends back to their seed and default faults, caches emptied, breakers closed. */
  reset(): Promise<void>;
  /** Total requests the backends received (optionally one service and path). */
  backendRequests(service?: keyof ReferenceBackends['urls'], path?: string): number;
  close(): Promise<void>;
}

/** The environment that points a gateway at `urls`: test profile, test secrets, signed unless told otherwise. */
export function gatewayEnv(urls: ReferenceBackends['urls'], signed = true): Record<string, string> {
  return {
    NODE_ENV: 'test',
    ...kitGatewayEnv(urls, { jwtSecret: TEST_JWT_SECRET, signingSecret: signed ? TEST_SIGNING_SECRET : undefined }),
  };
}

/** What both kinds of test backends (on loopback, in memory) offer the helpers below. */
interface TestBackends {
  all: ReadonlyArray<{ requests: { count(filter?: (r: { path: string }) => boolean): number } }>;
  resetAll(): void;
}

/** Between tests: services back to their seed, the gateway's caches emptied, its breakers closed. */
export async function resetGateway(app: GatewayApp, backends: Pick<TestBackends, 'resetAll'>): Promise<void> {
  backends.resetAll();
  await app.services.upstreams.cache.clear();
  for (const client of Object.values(app.services.upstreams.clients)) client.breaker.reset();
}

/** Requests the backends received (of one service, to one path, when given). */
export function countBackendRequests<B extends TestBackends>(backends: B, service?: keyof B, path?: string): number {
  const services = service ? [backends[service] as TestBackends['all'][number]] : backends.all;
  return services.reduce((n, s) => n + s.requests.count(path ? (r) => r.path === path : undefined), 0);
}

/** The config of a test gateway: short budgets, sync monitoring off unless `env` says otherwise. */
export function testGatewayConfig(urls: ReferenceBackends['urls'], signed: boolean, env: Record<string, string> = {}): GatewayConfig {
  return loadConfig(
    {
      ...gatewayEnv(urls, signed),
      ORCHESTRATION_TIMEOUT: '2000',
      ORCHESTRATION_RETRY_ATTEMPTS: '2',
      FEATURE_SYNC_MONITORING: 'false',
      ...env,
    },
    'test',
  );
}

/**
 * Another gateway over the same backends, e.g. a second replica on the first one's `REDIS_URL`:
 * default budgets, sync monitoring off unless `env` says otherwise, silent, on a free loopback port.
 */
export async function startReplica(
  urls: ReferenceBackends['urls'],
  env: Record<string, string>,
): Promise<{ app: GatewayApp; url: string }> {
  const config = loadConfig({ ...gatewayEnv(urls), FEATURE_SYNC_MONITORING: 'false', ...env }, 'test');
  const app = await createGatewayApp({ config, logger: pino({ level: 'silent' }) });
  return { app, url: await app.listen(0, '127.0.0.1') };
}

/** The reference backends and a real gateway in front of them, on loopback ports. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const signed = opts.signed ?? true;
  const backends = await startBackends({
    jwtSecret: TEST_JWT_SECRET,
    ...(signed ? { signingSecret: TEST_SIGNING_SECRET } : {}),
    ...opts.backends,
  });
  const config = testGatewayConfig(backends.urls, signed, { HOST: '127.0.0.1', PORT: '0', ...opts.env });
  const logs = new LogCapture(opts.logLevel ?? 'debug');
  const app = await createGatewayApp({ ...(opts.clock ? { now: opts.clock.now } : {}), ...opts.app, config, logger: logs.logger });
  const url = await app.listen(0, '127.0.0.1');
  const stack: Stack = {
    backends,
    app,
    url,
    logs,
    token: (sub, role = 'user', extra) => mintToken(TEST_JWT_SECRET, sub, role, extra?.expiresIn),
    async graphql(query, variables, o = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...o.headers,
        },
        body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
      });
      return { status: res.status, body: (await res.json()) as never, headers: res.headers };
    },
    reset: () => resetGateway(app, backends),
    backendRequests: (service, path) => countBackendRequests(backends, service, path),
    async close() {
      await app.close();
      await backends.close();
    },
  };
  return stack;
}
