import { pino } from 'pino';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions } from '../../src/app.js';
import { loadConfig, type GatewayConfig } from '../../src/config/index.js';
import { startBackends, type ReferenceBackends, type StartBackendsOptions } from '../../reference-backends/index.js';
import { gatewayEnv as kitGatewayEnv, mintToken, type ManualClock } from './kit.js';
import { LogCapture } from './log-capture.js';

export { ManualClock, mintToken, waitFor } from './kit.js';
export { LogCapture } from './log-capture.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789';

/** A gateway's answer to a GraphQL POST: status, parsed body, headers. */
export interface GraphqlResponse<R> {
  status: number;
  body: {
    data?: R | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
  headers: Headers;
}

export interface GraphqlRequestOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Extra request headers (after the content type and the token: they may replace either). */
  headers?: Record<string, string>;
  /** The request's `extensions` (e.g. a persisted query's hash). */
  extensions?: Record<string, unknown>;
}

/**
 * The JSON body of a GraphQL request: a TypedDocumentNode printed, an empty query left out (a
 * persisted query sent by its hash alone), `variables` and `extensions` as given.
 */
export function graphqlBody<R, V>(query: string | TypedDocumentNode<R, V>, variables?: V, extensions?: Record<string, unknown>): string {
  return JSON.stringify({ ...(query === '' ? {} : { query: typeof query === 'string' ? query : print(query) }), variables, extensions });
}

/** POSTs a GraphQL operation to the gateway at `url` (its base URL: the request goes to `${url}/graphql`). */
export async function postGraphql<R = Record<string, unknown>, V = Record<string, unknown>>(
  url: string,
  query: string | TypedDocumentNode<R, V>,
  variables?: V,
  opts: GraphqlRequestOptions = {},
): Promise<GraphqlResponse<R>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: graphqlBody(query, variables, opts.extensions),
  });
  return { status: res.status, body: (await res.json()) as never, headers: res.headers };
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
  /** POSTs a GraphQL operation; returns status, parsed body and headers. */
  graphql<R = Record<string, unknown>, V = Record<string, unknown>>(
    query: string | TypedDocumentNode<R, V>,
    variables?: V,
    opts?: Pick<GraphqlRequestOptions, 'token' | 'headers'>,
  ): Promise<GraphqlResponse<R>>;
  /** Between tests: backends back to their seed and default faults, caches emptied, breakers closed. */
  reset(): Promise<void>;
  /** Total requests the backends received (optionally one service and path). */
  backendRequests(service?: keyof ReferenceBackends['urls'], path?: string): number;
  /** Forgets the requests the backends received so far (what `backendRequests` counts). */
  clearBackendLog(): void;
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
  all: ReadonlyArray<{ requests: { count(filter?: (r: { path: string }) => boolean): number; clear(): void } }>;
  resetAll(): void;
}

/** Between tests: services back to their seed, the gateway's caches emptied, its breakers closed. */
export async function resetGateway(app: GatewayApp, backends: Pick<TestBackends, 'resetAll'>): Promise<void> {
  backends.resetAll();
  await app.services.upstreams.cache.clear();
  for (const client of Object.values(app.services.upstreams.clients)) client.breaker.reset();
}

/**
 * Requests the backends received: of one service when given, and to one path (a string) or
 * those a predicate accepts when given.
 */
export function countBackendRequests<B extends TestBackends>(
  backends: B,
  service?: keyof B,
  which?: string | ((request: { path: string }) => boolean),
): number {
  const services = service ? [backends[service] as TestBackends['all'][number]] : backends.all;
  const filter = typeof which === 'string' ? (r: { path: string }) => r.path === which : which;
  return services.reduce((n, s) => n + s.requests.count(filter), 0);
}

/** Forgets the requests every backend received so far (what `countBackendRequests` counts). */
export function clearBackendLog(backends: Pick<TestBackends, 'all'>): void {
  for (const s of backends.all) s.requests.clear();
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

/** A second gateway in this process (see {@link startReplica}). */
export interface InProcessReplica {
  app: GatewayApp;
  url: string;
  graphql: Stack['graphql'];
}

/**
 * Another gateway over the same backends, e.g. a second replica on the first one's `REDIS_URL`:
 * default budgets, sync monitoring off unless `env` says otherwise, silent, on a free loopback port.
 */
export async function startReplica(urls: ReferenceBackends['urls'], env: Record<string, string>): Promise<InProcessReplica> {
  const config = loadConfig({ ...gatewayEnv(urls), FEATURE_SYNC_MONITORING: 'false', ...env }, 'test');
  const app = await createGatewayApp({ config, logger: pino({ level: 'silent' }) });
  const url = await app.listen(0, '127.0.0.1');
  return { app, url, graphql: (query, variables, opts) => postGraphql(url, query, variables, opts) };
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
    graphql: (query, variables, opts) => postGraphql(url, query, variables, opts),
    reset: () => resetGateway(app, backends),
    backendRequests: (service, path) => countBackendRequests(backends, service, path),
    clearBackendLog: () => clearBackendLog(backends),
    async close() {
      await app.close();
      await backends.close();
    },
  };
  return stack;
}
