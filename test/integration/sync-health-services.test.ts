import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

type HealthServices = { status: string; services: Array<{ name: string; healthy: boolean; health: boolean | null; breaker: string }> };

/**
 * Security issue: with sync monitoring off, anonymous `GET /health/services` (and the GraphQL
 * `services` field) checked every backend's `/health` on every request. Now the answer is the
 * last known state, checked again at most once per SYNC_CHECK_INTERVAL, one check shared by
 * concurrent callers. The backends' own request logs are the oracle.
 */
describe('/health/services without sync monitoring (security)', () => {
  const stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });

  async function start(interval: number) {
    const stack = await startStack({
      env: { FEATURE_SYNC_MONITORING: 'false', MONITORING_PUBLIC: 'true', SYNC_CHECK_INTERVAL: String(interval) },
    });
    stacks.push(stack);
    return stack;
  }
  const healthServices = async (stack: Stack) => {
    const res = await fetch(`${stack.url}/health/services`);
    expect(res.status).toBe(200);
    return (await res.json()) as HealthServices;
  };
  const probes = (stack: Stack) => (['auth', 'comment', 'industry', 'nps'] as const).map((name) => stack.backendRequests(name, '/health'));

  it('many quick anonymous requests (REST and GraphQL, concurrent and one after another) cause one check per service', async () => {
    const stack = await start(60_000);
    expect(probes(stack)).toEqual([0, 0, 0, 0]);
    const concurrent = await Promise.all([
      ...Array.from({ length: 20 }, () => healthServices(stack)),
      ...Array.from({ length: 10 }, () =>
        stack.graphql<{ services: Array<{ name: string; healthy: boolean }> }>('{ services { name healthy } }'),
      ),
    ]);
    for (let i = 0; i < 10; i++) concurrent.push(await healthServices(stack));
    const gql = await stack.graphql<{ services: Array<{ name: string; healthy: boolean }> }>('{ services { name healthy } }');
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.data!.services.map((s) => s.healthy)).toEqual([true, true, true, true]);
    expect(probes(stack)).toEqual([1, 1, 1, 1]);
    const rest = concurrent.filter((r): r is HealthServices => 'services' in r);
    expect(rest).toHaveLength(30);
    for (const r of rest) expect(r).toMatchObject({ status: 'ok', services: [{ name: 'auth', healthy: true, health: true }, {}, {}, {}] });
  });

  it('is always 200: ok while all are healthy; answers the last known state until the interval has passed, then checks once more (degraded)', async () => {
    const stack = await start(1000);
    expect((await healthServices(stack)).status).toBe('ok');
    stack.backends.auth.faults.set({ unhealthy: true });
    expect((await healthServices(stack)).status).toBe('ok');
    expect(probes(stack)).toEqual([1, 1, 1, 1]);

    await new Promise((resolve) => setTimeout(resolve, 1200));
    const [a, b] = await Promise.all([healthServices(stack), healthServices(stack)]);
    expect(probes(stack)).toEqual([2, 2, 2, 2]);
    for (const r of [a, b]) {
      expect(r.status).toBe('degraded');
      expect(r.services.find((s) => s.name === 'auth')).toMatchObject({ healthy: false, health: false, breaker: 'CLOSED' });
    }
  });
});
