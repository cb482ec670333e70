import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument, UsersDocument } from '../generated/graphql.js';
import { ManualClock, startStack, type Stack } from '../support/stack.js';

/**
 * Whole responses of cacheable queries are kept per caller and answered before
 * Yoga; they follow the freshness of their parts, clearCache and service versions, and
 * nothing partial, stale, failed or live is ever kept.
 */
describe('response cache', () => {
  let stack: Stack;
  let user: string;
  let admin: string;
  const responseHits = () => stack.app.services.metrics!.requests.responseCache.hits;

  beforeAll(async () => {
    stack = await startStack();
    user = await stack.token('u1');
    admin = await stack.token('u2', 'admin');
    // Keys carry each service's version; the first answers teach the gateway those versions.
    await stack.graphql(DashboardDocument, { userId: 'u2' }, { token: admin });
  });
  afterEach(() => stack.reset());
  afterAll(() => stack.close());

  it('an identical query from the same caller is answered whole from the cache, byte for byte', async () => {
    const first = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(first.body.errors).toBeUndefined();
    const calls = stack.backendRequests();
    const hits = responseHits();

    const second = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(second.body).toEqual(first.body); // generatedAt included: the very same response
    expect(stack.backendRequests()).toBe(calls);
    expect(responseHits()).toBe(hits + 1);
  });

  it('is never shared between callers: a user does not get what an admin was allowed to read', async () => {
    const asAdmin = await stack.graphql(DashboardDocument, { userId: 'u3' }, { token: admin });
    expect(asAdmin.body.data?.userDashboard?.user.id).toBe('u3');

    const asUser = await stack.graphql(DashboardDocument, { userId: 'u3' }, { token: user });
    expect(asUser.body.data?.userDashboard ?? null).toBeNull();
    expect(asUser.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await stack.graphql(DashboardDocument, { userId: 'u3' });
    expect(anonymous.body.data?.userDashboard ?? null).toBeNull();
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('clearCache (GraphQL or REST) retires kept responses: the next query reaches the backends', async () => {
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    const cleared = await stack.graphql('mutation { clearCache }', {}, { token: admin });
    expect(cleared.body.errors).toBeUndefined();
    let calls = stack.backendRequests();
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(stack.backendRequests()).toBeGreaterThan(calls);

    // Clearing one service retires every response, since any response may hold its data.
    const res = await fetch(`${stack.url}/api/gateway/cache?service=nps`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    calls = stack.backendRequests('nps');
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(stack.backendRequests('nps')).toBe(calls + 1);
  });

  it('a new version of any service retires kept responses', async () => {
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    const hits = responseHits();
    stack.backends.nps.faults.set({ version: '1.1.0' });
    // Any nps answer carries the new version; a users query for a user not read yet reports it.
    await stack.graphql(UsersDocument, { ids: ['u4'] }, { token: admin });
    expect(stack.app.services.upstreams.versions.get('nps')).toBe('1.1.0');

    const again = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(again.body.errors).toBeUndefined();
    expect(responseHits()).toBe(hits);
  });

  it('a partial response is never kept: once the service is back, the next answer is whole', async () => {
    stack.backends.nps.faults.set({ failStatus: 503 });
    const degraded = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(degraded.body.data!.userDashboard!.degraded).toEqual(['nps']);
    stack.backends.nps.faults.reset();

    const healed = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(healed.body.data!.userDashboard!.degraded).toEqual([]);
    expect(healed.body.data!.userDashboard!.nps).not.toBeNull();
  });

  it('an answer with an error (an unknown id) is never kept', async () => {
    const ids = ['u1', 'nobody'];
    await stack.graphql(UsersDocument, { ids }, { token: admin });
    const calls = stack.backendRequests('auth');
    const again = await stack.graphql(UsersDocument, { ids }, { token: admin });
    expect(again.body.data!.users[1]).toBeNull();
    // The unknown id is asked again (unknown ids are not cached either), and no response was reused.
    expect(stack.backendRequests('auth')).toBe(calls + 1);
  });

  it("the gateway's live state (stats, services, syncStatus) and mutations are never kept", async () => {
    const query = '{ stats { cacheHits cacheMisses } }';
    const hits = responseHits();
    const first = await stack.graphql<{ stats: { cacheHits: number; cacheMisses: number } }>(query, {}, { token: admin });
    const second = await stack.graphql<{ stats: { cacheHits: number; cacheMisses: number } }>(query, {}, { token: admin });
    expect(second.body.data!.stats).not.toEqual(first.body.data!.stats);
    // Mixed with a cacheable field, the live one still keeps the whole response out.
    const mixed = '{ userDashboard(userId: "u2") { user { id } } stats { cacheMisses } }';
    const a = await stack.graphql<{ stats: { cacheMisses: number } }>(mixed, {}, { token: admin });
    const b = await stack.graphql<{ stats: { cacheMisses: number } }>(mixed, {}, { token: admin });
    expect(b.body.data!.stats.cacheMisses).toBeGreaterThan(a.body.data!.stats.cacheMisses);
    await stack.graphql('mutation { clearCache }', {}, { token: admin });
    await stack.graphql('mutation { clearCache }', {}, { token: admin });
    expect(responseHits()).toBe(hits);
  });
});

describe('response cache: lifetime and switches', () => {
  const stacks: Stack[] = [];
  const start = async (env: Record<string, string>, clock?: ManualClock) => {
    const s = await startStack({ env, clock });
    stacks.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });

  it('a response is reused no longer than its shortest-lived part', async () => {
    // The dashboard entry lives 50 ms, its parts 10 minutes: the response follows the dashboard.
    const clock = new ManualClock();
    const stack = await start({ CACHE_TTL_DASHBOARD: '50', CACHE_TTL_USER: '600000', ORCHESTRATION_CACHE_EXPIRY: '600000' }, clock);
    const token = await stack.token('u1');
    const first = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    clock.advance(120);
    const later = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(later.body.data!.userDashboard!.generatedAt).not.toBe(first.body.data!.userDashboard!.generatedAt);
    expect(stack.app.services.metrics!.requests.responseCache.hits).toBe(0);
  });

  it('RESPONSE_CACHE_ENABLED=false keeps nothing; the per-part caches still answer', async () => {
    const stack = await start({ RESPONSE_CACHE_ENABLED: 'false' });
    const token = await stack.token('u1');
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const calls = stack.backendRequests();
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests()).toBe(calls);
    expect(stack.app.services.metrics!.requests.responseCache).toEqual({ hits: 0, misses: 0 });
  });

  it('a per-field rate limit keeps counting: such a query is never answered from the cache', async () => {
    const stack = await start({ RATE_LIMIT_RULES: 'Query.userDashboard=2/60000' });
    const token = await stack.token('u1');
    const codes: unknown[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await stack.graphql(DashboardDocument, { userId: 'u1' }, { token })).body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED']);
    expect(stack.app.services.metrics!.requests.responseCache.hits).toBe(0);
  });
});
