import { afterEach, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/** The sync routes (REST and GraphQL), who may use them, shared forced rounds, and FEATURE_SYNC_MONITORING=false. */
describe('sync routes', () => {
  const stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });

  async function start(env: Record<string, string> = {}) {
    const stack = await startStack({
      env: { FEATURE_SYNC_MONITORING: 'true', SYNC_CHECK_INTERVAL: String(24 * 3_600_000), ...env },
      app: { sync: { clock: new ManualClock() } },
    });
    stacks.push(stack);
    await stack.app.services.sync.check();
    return stack;
  }

  const healthProbes = (stack: Stack) => stack.backends.all.map((b) => b.requests.count((r) => r.path === '/health'));

  it('GET /api/gateway/sync/status: the detailed report with history; public in development, admin/service otherwise', async () => {
    const stack = await start();
    const res = await fetch(`${stack.url}/api/gateway/sync/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown> & { services: Array<Record<string, unknown>> };
    expect(body).toMatchObject({
      status: 'in_sync',
      enabled: true,
      expectedVersion: '1.0.0',
      autoUpdate: true,
      warningThresholdMs: 300_000,
      criticalThresholdMs: 600_000,
    });
    expect(body.services).toHaveLength(4);
    expect(body.services[0]).toMatchObject({
      name: 'auth',
      version: '1.0.0',
      expectedVersion: '1.0.0',
      state: 'in_sync',
      outOfSyncSince: null,
      lastUpdated: '2024-01-15T10:30:00Z',
      lastCheckedAt: expect.any(String),
      error: null,
      healthy: true,
      history: [expect.objectContaining({ from: null, state: 'in_sync' })],
    });
  });

  it('monitoring reads need admin or service when MONITORING_PUBLIC=false; /health/sync stays anonymous', async () => {
    const stack = await start({ MONITORING_PUBLIC: 'false', GATEWAY_API_KEYS: 'ops:ops-key-0123456789' });
    expect((await fetch(`${stack.url}/api/gateway/sync/status`)).status).toBe(401);
    const user = await stack.token('u1');
    const refused = await fetch(`${stack.url}/api/gateway/sync/status`, { headers: { authorization: `Bearer ${user}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'FORBIDDEN' });
    expect((await fetch(`${stack.url}/api/gateway/sync/status`, { headers: { 'x-api-key': 'ops-key-0123456789' } })).status).toBe(200);
    expect((await fetch(`${stack.url}/health/sync`)).status).toBe(200);
    const gql = await stack.graphql('{ syncStatus { status } }', {}, { token: user });
    expect(gql.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('POST /api/gateway/sync/force: admin only; ten concurrent forces cause one round of backend calls, all get its result', async () => {
    const stack = await start();
    expect((await fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST' })).status).toBe(401);
    const user = await stack.token('u1');
    const refused = await fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${user}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'FORBIDDEN' });

    const admin = await stack.token('u2', 'admin');
    stack.backends.nps.faults.set({ version: '1.3.0' });
    // The forced round's checks are held (healthHang) until all ten forces have arrived, so
    // they share it by the rule (arrived while it ran), not by how fast loopback is.
    stack.backends.auth.faults.set({ healthHang: true });
    const forces = vi.spyOn(stack.app.services.sync, 'force');
    const before = healthProbes(stack);
    const pending = Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } }),
      ),
    );
    await vi.waitFor(() => expect(forces).toHaveBeenCalledTimes(10), { timeout: 10_000 });
    stack.backends.auth.faults.set({ healthHang: false });
    const answers = await pending;
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ status: string; checkedAt: string }>;
    expect(healthProbes(stack)).toEqual(before.map((n) => n + 1));
    expect(new Set(bodies.map((b) => `${b.status} ${b.checkedAt}`)).size).toBe(1);
    expect(bodies[0]!.status).toBe('out_of_sync');
  });

  const force = async (stack: Stack, token: string) => {
    const res = await fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      status: string;
      services: Array<{ name: string; version: string | null; state: string; healthy: boolean | null; error: string | null }>;
    };
  };
  const control = (stack: Stack, service: 'auth' | 'comment' | 'industry' | 'nps', faults: Record<string, unknown>) =>
    fetch(`${stack.backends.urls[service]}/__control/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    }).then((r) => {
      expect(r.status).toBe(200);
    });

  it('POST /api/gateway/sync/force: a force right after another sees a change made in between (each force gets a round that began after it)', async () => {
    const stack = await start();
    const admin = await stack.token('u2', 'admin');
    const first = await force(stack, admin);
    expect(first.services.find((s) => s.name === 'comment')).toMatchObject({ version: '1.0.0', state: 'in_sync' });

    await control(stack, 'comment', { version: '1.4.0' });
    const second = await force(stack, admin);
    expect(second.services.find((s) => s.name === 'comment')).toMatchObject({ version: '1.4.0', state: 'out_of_sync' });
    expect(second.status).toBe('out_of_sync');

    // Health and an unknown version seen by one round show in that round's report.
    await control(stack, 'auth', { unhealthy: true });
    await control(stack, 'nps', { version: null });
    const third = await force(stack, admin);
    expect(third.services.find((s) => s.name === 'auth')).toMatchObject({ healthy: false, state: 'in_sync', version: '1.0.0' });
    expect(third.services.find((s) => s.name === 'nps')).toMatchObject({
      healthy: true,
      state: 'unknown',
      version: null,
      error: expect.stringMatching(/no shared knowledge version/),
    });
    expect(third.status).toBe('out_of_sync');
    const health = (await (await fetch(`${stack.url}/health/services`)).json()) as { services: Array<{ name: string; healthy: boolean }> };
    expect(health.services.find((s) => s.name === 'auth')!.healthy).toBe(false);

    const gql = await stack.graphql('mutation { forceSync { status services { name version state } } }', {}, { token: admin });
    expect(gql.body.errors).toBeUndefined();
    await control(stack, 'nps', { version: '1.0.0' });
    await control(stack, 'comment', { version: '1.0.0' });
    const gqlAfter = await stack.graphql('mutation { forceSync { status services { name version state } } }', {}, { token: admin });
    expect(gqlAfter.body.data).toMatchObject({ forceSync: { status: 'in_sync' } });
  });

  it('POST /api/gateway/sync/force does not join a round that was already running when it arrived: it waits and checks again', async () => {
    const stack = await start();
    const sync = stack.app.services.sync;
    const admin = await stack.token('u2', 'admin');
    const commentProbes = () => stack.backendRequests('comment', '/health');
    const before = commentProbes();
    // A round (as a scheduled one would) starts and is held by one hanging service.
    stack.backends.industry.faults.set({ healthHang: true });
    const running = sync.check();
    await vi.waitFor(() => expect(commentProbes()).toBe(before + 1));
    // The change comes after that round checked comment.
    await control(stack, 'comment', { version: '2.0.0' });
    const forces = vi.spyOn(sync, 'force');
    const forced = force(stack, admin);
    await vi.waitFor(() => expect(forces).toHaveBeenCalledTimes(1));
    expect(commentProbes()).toBe(before + 1);

    stack.backends.industry.faults.set({ healthHang: false });
    expect((await running).services.find((s) => s.name === 'comment')!.version).toBe('1.0.0');
    const report = await forced;
    expect(commentProbes()).toBe(before + 2);
    expect(report.services.find((s) => s.name === 'comment')).toMatchObject({ version: '2.0.0', state: 'out_of_sync' });
  });

  it('GraphQL: syncStatus for monitoring readers; forceSync FORBIDDEN for a user, shared by concurrent admins', async () => {
    const stack = await start();
    const status = await stack.graphql(
      '{ syncStatus { status expectedVersion checkedAt services { name version state outOfSyncSince lastCheckedAt error } } }',
    );
    expect(status.body.errors).toBeUndefined();
    expect(status.body.data).toMatchObject({
      syncStatus: {
        status: 'in_sync',
        expectedVersion: '1.0.0',
        services: expect.arrayContaining([expect.objectContaining({ name: 'comment', state: 'in_sync', version: '1.0.0', error: null })]),
      },
    });

    const user = await stack.token('u1');
    const forbidden = await stack.graphql('mutation { forceSync { status } }', {}, { token: user });
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await stack.graphql('mutation { forceSync { status } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const admin = await stack.token('u2', 'admin');
    stack.backends.industry.faults.set({ version: null });
    stack.backends.auth.faults.set({ healthHang: true });
    const forces = vi.spyOn(stack.app.services.sync, 'force');
    const before = healthProbes(stack);
    const pending = Promise.all(
      Array.from({ length: 10 }, () =>
        stack.graphql('mutation { forceSync { status services { name state error } } }', {}, { token: admin }),
      ),
    );
    await vi.waitFor(() => expect(forces).toHaveBeenCalledTimes(10), { timeout: 10_000 });
    stack.backends.auth.faults.set({ healthHang: false });
    const forced = await pending;
    expect(healthProbes(stack)).toEqual(before.map((n) => n + 1));
    for (const f of forced) {
      expect(f.body.errors).toBeUndefined();
      expect(f.body.data).toMatchObject({ forceSync: { status: 'unknown' } });
    }
  });

  it('FEATURE_SYNC_MONITORING=false: no checks at all, and every route says monitoring is disabled', async () => {
    const stack = await startStack({ env: { FEATURE_SYNC_MONITORING: 'false' } });
    stacks.push(stack);
    const health = await fetch(`${stack.url}/health/sync`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'disabled',
      enabled: false,
      services: [],
      message: expect.stringMatching(/disabled/),
    });
    const admin = await stack.token('u2', 'admin');
    const forced = await fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toMatchObject({ status: 'disabled' });
    const gql = await stack.graphql('{ syncStatus { status enabled message } }');
    expect(gql.body.data).toEqual({
      syncStatus: { status: 'disabled', enabled: false, message: expect.stringMatching(/FEATURE_SYNC_MONITORING=false/) },
    });
    expect(healthProbes(stack)).toEqual([0, 0, 0, 0]);
  });
});
