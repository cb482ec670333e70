import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/** Issue 3: the sync routes (REST and GraphQL), who may use them, shared forced rounds, and FEATURE_SYNC_MONITORING=false. */
describe('sync routes (issue 3)', () => {
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
    expect(body).toMatchObject({ status: 'in_sync', enabled: true, expectedVersion: '1.0.0', autoUpdate: true, warningThresholdMs: 300_000, criticalThresholdMs: 600_000 });
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
    const before = healthProbes(stack);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ status: string; checkedAt: string }>;
    expect(healthProbes(stack)).toEqual(before.map((n) => n + 1));
    expect(new Set(bodies.map((b) => `${b.status} ${b.checkedAt}`)).size).toBe(1);
    expect(bodies[0]!.status).toBe('out_of_sync');
  });

  it('GraphQL: syncStatus for monitoring readers; forceSync FORBIDDEN for a user, shared by concurrent admins', async () => {
    const stack = await start();
    const status = await stack.graphql('{ syncStatus { status expectedVersion checkedAt services { name version state outOfSyncSince lastCheckedAt error } } }');
    expect(status.body.errors).toBeUndefined();
    expect(status.body.data).toMatchObject({ syncStatus: { status: 'in_sync', expectedVersion: '1.0.0', services: expect.arrayContaining([expect.objectContaining({ name: 'comment', state: 'in_sync', version: '1.0.0', error: null })]) } });

    const user = await stack.token('u1');
    const forbidden = await stack.graphql('mutation { forceSync { status } }', {}, { token: user });
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await stack.graphql('mutation { forceSync { status } }');
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const admin = await stack.token('u2', 'admin');
    stack.backends.industry.faults.set({ version: null });
    const before = healthProbes(stack);
    const forced = await Promise.all(Array.from({ length: 10 }, () => stack.graphql('mutation { forceSync { status services { name state error } } }', {}, { token: admin })));
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
    expect(await health.json()).toMatchObject({ status: 'disabled', enabled: false, services: [], message: expect.stringMatching(/disabled/) });
    const admin = await stack.token('u2', 'admin');
    const forced = await fetch(`${stack.url}/api/gateway/sync/force`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toMatchObject({ status: 'disabled' });
    const gql = await stack.graphql('{ syncStatus { status enabled message } }');
    expect(gql.body.data).toEqual({ syncStatus: { status: 'disabled', enabled: false, message: expect.stringMatching(/FEATURE_SYNC_MONITORING=false/) } });
    expect(healthProbes(stack)).toEqual([0, 0, 0, 0]);
  });
});
