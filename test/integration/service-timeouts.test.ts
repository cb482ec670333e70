import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Each service has its own call budget (`<NAME>_SERVICE_TIMEOUT`, default
 * `ORCHESTRATION_TIMEOUT`). Comment gets less than the default, auth more: with the same slow
 * answers, comment times out while auth answers.
 */
describe('per-service call budgets', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        ORCHESTRATION_TIMEOUT: '1500',
        COMMENT_SERVICE_TIMEOUT: '300',
        AUTH_SERVICE_TIMEOUT: '10000',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
      },
    });
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  it('each ServiceClient carries its own budget', () => {
    const { clients } = stack.app.services.upstreams;
    expect(clients.auth.timeoutMs).toBe(10_000);
    expect(clients.comment.timeoutMs).toBe(300);
    expect(clients.industry.timeoutMs).toBe(1500);
    expect(clients.nps.timeoutMs).toBe(1500);
  });

  it('a slow comment service times out within its small budget while a slower auth service answers within its larger one', async () => {
    // Comment: inside the default budget, past its own. Auth: past the default, inside its own.
    stack.backends.comment.faults.set({ latencyMs: 1000 });
    stack.backends.auth.faults.set({ latencyMs: 2500 });
    const token = await stack.token('u1');
    const { status, body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(status).toBe(200);
    const d = body.data!.userDashboard!;
    expect(d.user.id).toBe('u1');
    expect(d.comments).toBeNull();
    expect(d.degraded).toEqual(['comment']);
    expect(d.nps?.score).toBe(9);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'comment' });
    expect(body.errors![0]!.message).toContain('300 ms');
    expect(stack.app.services.upstreams.clients.comment.breaker.stats.timeouts).toBe(1);
    expect(stack.app.services.upstreams.clients.auth.breaker.stats.timeouts).toBe(0);
  });

  it('the other services keep ORCHESTRATION_TIMEOUT', async () => {
    stack.backends.nps.faults.set({ hang: true });
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data!.userDashboard!.degraded).toEqual(['nps']);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'nps' });
    expect(body.errors![0]!.message).toContain('1500 ms');
  });

  it('passthrough gets the service budget: a slow comment answer is 504 at 300 ms, a slow auth answer passes', async () => {
    stack.backends.comment.faults.set({ latencyMs: 1000 });
    stack.backends.auth.faults.set({ latencyMs: 2500 });
    const token = await stack.token('u1');
    const headers = { authorization: `Bearer ${token}` };
    const comments = await fetch(`${stack.url}/api/comments?userId=u1`, { headers });
    expect(comments.status).toBe(504);
    expect(await comments.json()).toMatchObject({ error: 'UPSTREAM_TIMEOUT', service: 'comment' });
    const user = await fetch(`${stack.url}/api/users/u1`, { headers });
    expect(user.status).toBe(200);
    expect(await user.json()).toMatchObject({ id: 'u1' });
  });
});
