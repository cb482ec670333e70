import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument } from '../generated/graphql.js';
import { ManualClock, startStack, type Stack } from '../support/stack.js';

/**
 * Stale-if-error: an entry outlives its TTL by a stale window; when the service fails
 * or its breaker is open, the stale value is served, `extensions.stale` names the parts and
 * `degraded` still lists the service.
 */
describe('core: stale-if-error', () => {
  let stack: Stack;
  let clock = new ManualClock();
  // Past every TTL (1 ms), well within the stale window: the gateway's clock moves, nobody sleeps.
  const pause = () => clock.advance(15);

  beforeAll(async () => {
    stack = await startStack({
      clock,
      env: {
        // Every entry is fresh for 1 ms, then usable as a stale fallback for 100 s.
        ORCHESTRATION_CACHE_EXPIRY: '1',
        CACHE_TTL_USER: '1',
        CACHE_TTL_DASHBOARD: '1',
        CACHE_TTL_INDUSTRIES: '1',
        CACHE_TTL_JOBS: '1',
        CACHE_STALE_FACTOR: '100000',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
        CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2',
        CIRCUIT_BREAKER_RESET_TIMEOUT: '60000',
      },
    });
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  async function warm(token: string) {
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.errors).toBeUndefined();
    pause();
    return body.data!.userDashboard!;
  }

  it('a failing service: its stale part is served, named in extensions.stale, and degraded lists it', async () => {
    const token = await stack.token('u1');
    const fresh = await warm(token);
    stack.backends.comment.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const d = body.data!.userDashboard!;
    expect(body.errors).toBeUndefined();
    expect(d.comments).toEqual(fresh.comments);
    expect(d.comments).toHaveLength(10);
    expect(d.degraded).toEqual(['comment']);
    expect(body.extensions?.stale).toEqual(['userDashboard.comments']);
    // The other parts were fetched again, fresh.
    expect(d.nps?.score).toBe(9);
    // The breaker's stats count the stand-in.
    expect(stack.app.services.upstreams.clients.comment.breaker.stats.fallbacks).toBeGreaterThan(0);
  });

  it('an open breaker: the stale part is served without reaching the service', async () => {
    const token = await stack.token('u1');
    const fresh = await warm(token);
    stack.backends.nps.faults.set({ failStatus: 503 });
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.app.services.upstreams.clients.nps.breaker.state).toBe('OPEN');
    stack.backends.nps.requests.clear();
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(stack.backendRequests('nps')).toBe(0);
    expect(body.data!.userDashboard!.nps).toEqual(fresh.nps);
    expect(body.data!.userDashboard!.degraded).toEqual(['nps']);
    expect(body.extensions?.stale).toEqual(['userDashboard.nps']);
  });

  it('a failing auth service: the stale user carries the dashboard', async () => {
    const token = await stack.token('u1');
    await warm(token);
    stack.backends.auth.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const d = body.data!.userDashboard!;
    expect(d.user).toEqual({ id: 'u1', name: 'Ada Lovelace', email: 'ada@example.com', role: 'user' });
    expect(d.degraded).toEqual(['auth']);
    expect(body.extensions?.stale).toEqual(['userDashboard.user']);
    expect(d.comments).toHaveLength(10);
  });

  // Found by the fault soak (issue 15): the REST twin listed auth in `degraded` with no entry in `errors`.
  it('a failing auth service over REST: the stale user, auth in degraded AND a coded entry in errors', async () => {
    const token = await stack.token('u1');
    await warm(token);
    stack.backends.auth.faults.set({ failStatus: 500 });
    const res = await fetch(`${stack.url}/api/orchestration/user/u1/dashboard`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      user: { id: string };
      degraded: string[];
      stale: string[];
      errors: Array<Record<string, unknown>>;
    };
    expect(body.user.id).toBe('u1');
    expect(body.degraded).toEqual(['auth']);
    expect(body.stale).toEqual(['user']);
    expect(body.errors).toEqual([{ service: 'auth', code: 'SERVICE_UNAVAILABLE', message: expect.any(String) }]);
  });

  it('several parts stale at once (industry + jobs from one failing service)', async () => {
    const token = await stack.token('u1');
    const fresh = await warm(token);
    stack.backends.industry.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const d = body.data!.userDashboard!;
    expect(d.industry).toEqual(fresh.industry);
    expect(d.recentJobs).toEqual(fresh.recentJobs);
    expect(d.degraded).toEqual(['industry']);
    expect(body.extensions?.stale).toEqual(['userDashboard.industry', 'userDashboard.recentJobs']);
  });

  it('user(id:) nested fields are served stale too', async () => {
    const admin = await stack.token('u2', 'admin');
    const q = 'query { user(id: "u1") { id comments(limit: 2) { id } nps { score } } }';
    await stack.graphql(q, {}, { token: admin });
    pause();
    stack.backends.comment.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(q, {}, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ user: { id: 'u1', comments: seed.latestComments('u1', 2).map((c) => ({ id: c.id })), nps: { score: 9 } } });
    expect(body.extensions?.stale).toEqual(['user.comments']);
  });

  it('without a stale entry, the part is null with SERVICE_UNAVAILABLE', async () => {
    const token = await stack.token('u1');
    stack.backends.comment.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data!.userDashboard!.comments).toBeNull();
    expect(body.data!.userDashboard!.degraded).toEqual(['comment']);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'comment' });
    expect(body.extensions?.stale).toBeUndefined();
  });

  it('past the stale window nothing stands in', async () => {
    await stack.close();
    clock = new ManualClock();
    stack = await startStack({
      clock,
      env: { ORCHESTRATION_CACHE_EXPIRY: '1', CACHE_TTL_DASHBOARD: '1', CACHE_STALE_FACTOR: '1', ORCHESTRATION_RETRY_ATTEMPTS: '0' },
    });
    const token = await stack.token('u1');
    await warm(token);
    stack.backends.comment.faults.set({ failStatus: 500 });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data!.userDashboard!.comments).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
