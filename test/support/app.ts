/**
 * The fast tier: a real gateway app (schema, plugins, hooks, policy, error shapes) driven
 * in-process with Fastify's `inject()`, its upstream clients answered by the reference
 * services in memory (memory-backends.ts). No port is bound and no socket opened. Pools,
 * timeouts, resets, faults, signing and streaming stay on the loopback stack (stack.ts).
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions } from '../../src/app.js';
import { Upstreams, type UpstreamsOptions } from '../../src/upstreams/index.js';
import { memoryBackends, MEMORY_URLS, type MemoryBackends } from './memory-backends.js';
import {
  clearBackendLog,
  countBackendRequests,
  graphqlBody,
  LogCapture,
  resetGateway,
  TEST_JWT_SECRET,
  testGatewayConfig,
  type Stack,
} from './stack.js';
import { mintToken, type ManualClock } from './kit.js';

export interface AppOptions {
  /** Extra gateway environment (strings, as in process.env). */
  env?: Record<string, string>;
  /** Extra `createGatewayApp` options (a clock, the sync monitor's hooks). */
  app?: Partial<Omit<GatewayAppOptions, 'config' | 'logger' | 'upstreams'>>;
  /** The gateway's clock (`app.now`): TTLs pass by `clock.advance(ms)`. */
  clock?: ManualClock;
  logLevel?: string;
}

export interface FastApp {
  app: GatewayApp;
  backends: MemoryBackends;
  logs: LogCapture;
  token: Stack['token'];
  graphql: Stack['graphql'];
  /** Any HTTP request, in-process (`app.server.inject`). */
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Between tests: services back to their seed, caches emptied, breakers closed. */
  reset(): Promise<void>;
  backendRequests(service?: keyof typeof MEMORY_URLS, path?: string): number;
  clearBackendLog(): void;
  close(): Promise<void>;
}

/** A gateway app in-process over the reference services in memory (same env defaults as startStack, unsigned). */
export async function startApp(opts: AppOptions = {}): Promise<FastApp> {
  const backends = memoryBackends(TEST_JWT_SECRET);
  const config = testGatewayConfig(MEMORY_URLS, false, opts.env);
  const logs = new LogCapture(opts.logLevel ?? 'debug');
  const upstreams = (options: UpstreamsOptions) => {
    const built = new Upstreams(options);
    for (const client of Object.values(built.clients)) {
      void client.pool.close(); // never connected: every call goes to the memory dispatcher
      Object.defineProperty(client, 'pool', { value: backends[client.name].dispatcher() });
    }
    return built;
  };
  const app = await createGatewayApp({
    ...(opts.clock ? { now: opts.clock.now } : {}),
    ...opts.app,
    config,
    logger: logs.logger,
    upstreams,
  });
  await app.server.ready();

  return {
    app,
    backends,
    logs,
    token: (sub, role = 'user', extra) => mintToken(TEST_JWT_SECRET, sub, role, extra?.expiresIn),
    inject: (o) => app.server.inject(o),
    async graphql(query, variables, o = {}) {
      const res = await app.server.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
        payload: graphqlBody(query, variables),
      });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
      return { status: res.statusCode, body: res.json(), headers };
    },
    reset: () => resetGateway(app, backends),
    backendRequests: (service, path) => countBackendRequests(backends, service, path),
    clearBackendLog: () => clearBackendLog(backends),
    close: () => app.close(),
  };
}
