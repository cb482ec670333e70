import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DashboardDocument, UsersDocument } from '../generated/graphql.js';
import { ManualClock, startStack, type Stack } from '../support/stack.js';

/** Keyv caches with the TTLs of gateway.md, hit/miss counters, ORCHESTRATION_CACHE_ENABLED=false. */
describe('core: caching', () => {
  const stacks: Stack[] = [];
  const start = async (env?: Record<string, string>, clock?: ManualClock) => {
    const s = await startStack({ env, clock });
    stacks.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });

  it('a second identical dashboard query within TTL reaches no backend', async () => {
    const stack = await start();
    const token = await stack.token('u1');
    const first = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(first.body.errors).toBeUndefined();
    const afterFirst = stack.backendRequests();
    expect(afterFirst).toBeGreaterThanOrEqual(4);
    const statsBefore = stack.app.services.upstreams.cache.stats;

    const second = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests()).toBe(afterFirst);
    const { generatedAt: _g1, ...a } = first.body.data!.userDashboard!;
    const { generatedAt: _g2, ...b } = second.body.data!.userDashboard!;
    expect(b).toEqual(a);
    expect(stack.app.services.upstreams.cache.stats.hits).toBeGreaterThan(statsBefore.hits);
  });

  it('a second identical users(ids:) query within TTL reaches no backend', async () => {
    const stack = await start();
    const admin = await stack.token('u2', 'admin');
    const ids = ['u1', 'u3', 'u5', 'u8'];
    await stack.graphql(UsersDocument, { ids }, { token: admin });
    const afterFirst = stack.backendRequests();
    const second = await stack.graphql(UsersDocument, { ids }, { token: admin });
    expect(second.body.errors).toBeUndefined();
    expect(stack.backendRequests()).toBe(afterFirst);
    // Overlapping ids: only the new one is fetched.
    await stack.graphql(UsersDocument, { ids: ['u1', 'u9'] }, { token: admin });
    const calls = stack.backends.auth.requests.all();
    expect(calls.at(-1)!.query.ids).toBe('u9');
  });

  it('ORCHESTRATION_CACHE_ENABLED=false: every query reaches the backends', async () => {
    const stack = await start({ ORCHESTRATION_CACHE_ENABLED: 'false' });
    const token = await stack.token('u1');
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const afterFirst = stack.backendRequests();
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests()).toBe(afterFirst * 2);
    expect(stack.app.services.upstreams.cache.stats.hits).toBe(0);
  });

  it('ORCHESTRATION_CACHE_ENABLED=false: a failing service still degrades only its part, an unknown user is NOT_FOUND', async () => {
    const stack = await start({ ORCHESTRATION_CACHE_ENABLED: 'false', ORCHESTRATION_RETRY_ATTEMPTS: '0' });
    const token = await stack.token('u1');
    stack.backends.nps.faults.set({ failStatus: 503 });
    const degraded = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(degraded.body.data!.userDashboard!.degraded).toEqual(['nps']);
    expect(degraded.body.data!.userDashboard!.nps).toBeNull();
    expect(degraded.body.data!.userDashboard!.comments!.length).toBeGreaterThan(0);
    expect(degraded.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    const admin = await stack.token('u2', 'admin');
    const unknown = await stack.graphql(DashboardDocument, { userId: 'nobody' }, { token: admin });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('an entry past its TTL is fetched again', async () => {
    // 1 min TTLs for every kind, and the gateway's clock moved past them (no sleeping).
    const clock = new ManualClock();
    const stack = await start(
      {
        CACHE_TTL_USER: '60000',
        CACHE_TTL_DASHBOARD: '60000',
        CACHE_TTL_INDUSTRIES: '60000',
        CACHE_TTL_JOBS: '60000',
        ORCHESTRATION_CACHE_EXPIRY: '60000',
      },
      clock,
    );
    const token = await stack.token('u1');
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const afterFirst = stack.backendRequests();
    clock.advance(59_000);
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests()).toBe(afterFirst);
    clock.advance(1_001);
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests()).toBe(afterFirst * 2);
  });

  it('a degraded dashboard is never cached', async () => {
    const stack = await start();
    const token = await stack.token('u1');
    stack.backends.nps.faults.set({ failStatus: 503 });
    const degraded = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(degraded.body.data!.userDashboard!.degraded).toEqual(['nps']);
    stack.backends.nps.faults.reset();
    const healed = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(healed.body.errors).toBeUndefined();
    expect(healed.body.data!.userDashboard!.degraded).toEqual([]);
    expect(healed.body.data!.userDashboard!.nps).not.toBeNull();
  });
});
