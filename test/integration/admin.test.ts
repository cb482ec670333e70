import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

/** Operating: admin routes and inspection, REST and their GraphQL twins. */
describe('admin and inspection routes', () => {
  let stack: Stack;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    stack = await startStack({ env: { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', ORCHESTRATION_RETRY_ATTEMPTS: '0' } });
    admin = await stack.token('u2', 'admin');
    user = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    stack.backends.resetAll();
    for (const c of Object.values(stack.app.services.upstreams.clients)) c.breaker.reset();
    await stack.app.services.upstreams.cache.clear();
  });

  const call = async (method: string, path: string, opts: { token?: string; body?: unknown } = {}) => {
    const res = await request(`${stack.url}${path}`, {
      method: method as 'GET',
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  async function openCommentBreaker(): Promise<void> {
    stack.backends.comment.faults.set({ failStatus: 500 });
    // Data calls (a passthrough 5xx is relayed and not counted: gateway.md).
    for (let i = 0; i < 2; i++) await stack.graphql('{ user(id: "u1") { comments { id } } }', {}, { token: admin });
    expect(stack.app.services.upstreams.clients.comment.breaker.state).toBe('OPEN');
    stack.backends.comment.faults.reset();
  }

  it('POST /api/gateway/circuit-breaker/reset closes an open breaker, and calls reach the service again', async () => {
    await openCommentBreaker();
    const before = stack.backendRequests('comment');
    expect((await call('GET', '/api/comments?userId=u1', { token: admin })).status).toBe(503);
    expect(stack.backendRequests('comment')).toBe(before);

    const reset = await call('POST', '/api/gateway/circuit-breaker/reset', { token: admin, body: { service: 'comment' } });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ service: 'comment', breaker: { state: 'CLOSED' } });

    expect((await call('GET', '/api/comments?userId=u1', { token: admin })).status).toBe(200);
    expect(stack.backendRequests('comment')).toBe(before + 1);
  });

  it('refuses an unknown service with 400, and non-admins with 401/403', async () => {
    const unknown = await call('POST', '/api/gateway/circuit-breaker/reset', { token: admin, body: { service: 'billing' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('BAD_REQUEST');
    expect((await call('POST', '/api/gateway/circuit-breaker/reset', { token: admin, body: {} })).status).toBe(400);
    expect((await call('DELETE', '/api/gateway/cache?service=billing', { token: admin })).status).toBe(400);
    expect((await call('POST', '/api/gateway/circuit-breaker/reset', { body: { service: 'comment' } })).status).toBe(401);
    expect((await call('DELETE', '/api/gateway/cache', { token: user })).status).toBe(403);
  });

  it('DELETE /api/gateway/cache empties the cache: the next read goes to the backend again', async () => {
    const q = 'query { industries { id name } }';
    await stack.graphql(q, {}, { token: user });
    await stack.graphql(q, {}, { token: user });
    expect(stack.backendRequests('industry')).toBe(1);

    const cleared = await call('DELETE', '/api/gateway/cache', { token: admin });
    expect(cleared.status).toBe(200);
    expect(cleared.body.removed).toBeGreaterThanOrEqual(1);

    await stack.graphql(q, {}, { token: user });
    expect(stack.backendRequests('industry')).toBe(2);
  });

  it('DELETE /api/gateway/cache?service= removes only what that service answered', async () => {
    await stack.graphql('query { industries { id } user(id: "u1") { id name } }', {}, { token: user });
    const [industryCalls, authCalls] = [stack.backendRequests('industry'), stack.backendRequests('auth')];

    const cleared = await call('DELETE', '/api/gateway/cache?service=industry', { token: admin });
    expect(cleared.body.removed).toBeGreaterThanOrEqual(1);

    await stack.graphql('query { industries { id } user(id: "u1") { id name } }', {}, { token: user });
    expect(stack.backendRequests('industry')).toBe(industryCalls + 1);
    expect(stack.backendRequests('auth')).toBe(authCalls);
  });

  it('the GraphQL twins resetBreaker and clearCache do the same, admin only', async () => {
    await openCommentBreaker();
    const reset = await stack.graphql(
      'mutation { resetBreaker(service: "comment") { name healthy breaker { state failures } } }',
      {},
      { token: admin },
    );
    expect(reset.body.errors).toBeUndefined();
    expect(reset.body.data).toMatchObject({ resetBreaker: { name: 'comment', breaker: { state: 'CLOSED' } } });
    expect(stack.app.services.upstreams.clients.comment.breaker.state).toBe('CLOSED');

    await stack.graphql('query { industries { id } }', {}, { token: user });
    const cleared = await stack.graphql('mutation { clearCache }', {}, { token: admin });
    expect((cleared.body.data as { clearCache: number }).clearCache).toBeGreaterThanOrEqual(1);
    await stack.graphql('query { industries { id } }', {}, { token: user });
    expect(stack.backendRequests('industry')).toBe(2);

    const unknown = await stack.graphql('mutation { clearCache(service: "billing") }', {}, { token: admin });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const refused = await stack.graphql('mutation { resetBreaker(service: "comment") { name } }', {}, { token: user });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('stats count dashboards served whole and degraded', async () => {
    const read = async () =>
      (
        (await call('GET', '/api/gateway/stats', { token: admin })).body.orchestration as {
          dashboards: { whole: number; degraded: number };
        }
      ).dashboards;
    const before = await read();
    await call('GET', '/api/orchestration/user/u1/dashboard', { token: admin });
    stack.backends.nps.faults.set({ failStatus: 500 });
    await call('GET', '/api/orchestration/user/u3/dashboard', { token: admin });
    const after = await read();
    expect(after.whole - before.whole).toBe(1);
    expect(after.degraded - before.degraded).toBe(1);
  });

  it('GET /api/gateway/services and stats report breakers, latency, cache and requests', async () => {
    stack.backends.comment.faults.set({ failStatus: 500, failCount: 2 });
    for (let i = 0; i < 2; i++) await call('GET', '/api/comments?userId=u1', { token: admin });
    await openCommentBreaker();
    await stack.graphql('query { industries { id } }', {}, { token: user });
    await stack.graphql('query { industries { id } }', {}, { token: user });

    const services = await call('GET', '/api/gateway/services', { token: admin });
    expect(services.status).toBe(200);
    const comment = (services.body.services as Array<Record<string, unknown>>).find((s) => s.name === 'comment')!;
    expect(comment).toMatchObject({ url: stack.backends.urls.comment, healthy: false, breaker: { state: 'OPEN' } });
    expect((comment.breaker as { failures: number }).failures).toBeGreaterThanOrEqual(2);

    const stats = await call('GET', '/api/gateway/stats', { token: admin });
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      uptimeSeconds: expect.any(Number),
      breakers: {
        comment: {
          state: 'OPEN',
          failures: expect.any(Number),
          rejects: expect.any(Number),
          timeouts: 0,
          latency: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
        },
      },
      cache: { hits: expect.any(Number), misses: expect.any(Number), keys: expect.any(Number), hitRate: expect.any(Number) },
      orchestration: { dashboards: { whole: expect.any(Number), degraded: expect.any(Number) } },
    });
    expect((stats.body.cache as { hits: number }).hits).toBeGreaterThanOrEqual(1);
    const requests = stats.body.requests as { byRoute: Record<string, Record<string, number>> };
    // Counters are cumulative since start (earlier tests count too); routes are patterns, not raw URLs.
    expect(requests.byRoute['GET /api/comments']?.['500']).toBeGreaterThanOrEqual(2);
    expect(Object.keys(requests.byRoute).some((k) => k.includes('?'))).toBe(false);
    expect(requests.byRoute['POST /graphql']?.['200']).toBeGreaterThanOrEqual(2);

    const gql = await stack.graphql(
      '{ services { name url healthy breaker { state failures successes rejects timeouts } } stats { uptimeSeconds cacheHits cacheMisses breakers { name breaker { state } } } }',
      {},
      { token: admin },
    );
    expect(gql.body.errors).toBeUndefined();
    const data = gql.body.data as {
      services: Array<{ name: string; breaker: { state: string } }>;
      stats: { cacheHits: number; breakers: unknown[] };
    };
    expect(data.services.map((s) => s.name)).toEqual(['auth', 'comment', 'industry', 'nps']);
    expect(data.services.find((s) => s.name === 'comment')!.breaker.state).toBe('OPEN');
    expect(data.stats.cacheHits).toBeGreaterThanOrEqual(1);
    expect(data.stats.breakers).toHaveLength(4);
  });
});
