import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

const TIMEOUT_MS = 500;

/** ORCHESTRATION_TIMEOUT is the whole budget of one upstream call (retries included), surfaced as UPSTREAM_TIMEOUT. */
describe('core: upstream timeout', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { ORCHESTRATION_TIMEOUT: String(TIMEOUT_MS), ORCHESTRATION_RETRY_ATTEMPTS: '2' } });
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  it('a hanging service gives UPSTREAM_TIMEOUT within the timeout and the rest of the dashboard', async () => {
    stack.backends.comment.faults.set({ hang: true });
    const token = await stack.token('u1');
    const started = performance.now();
    const { status, body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const elapsed = performance.now() - started;
    expect(status).toBe(200);
    // Retries included, the whole call stays inside its budget (generous bound for a loaded machine).
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 4);
    const d = body.data!.userDashboard!;
    expect(d.comments).toBeNull();
    expect(d.degraded).toEqual(['comment']);
    expect(d.user.id).toBe('u1');
    expect(d.industry?.id).toBe(seed.getUser('u1')!.industryId);
    expect(d.recentJobs).toHaveLength(5);
    expect(d.nps?.score).toBe(9);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toEqual(['userDashboard', 'comments']);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'comment' });
    expect(body.errors![0]!.message).not.toMatch(/at |\.ts:|Error:/);
    expect(stack.app.services.upstreams.clients.comment.breaker.stats.timeouts).toBeGreaterThan(0);
  });

  it('a slow service that answers inside the budget is not a timeout', async () => {
    stack.backends.nps.faults.set({ latencyMs: Math.floor(TIMEOUT_MS / 5) });
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.nps?.score).toBe(9);
  });

  it('a hanging auth service leaves no dashboard: null with UPSTREAM_TIMEOUT', async () => {
    stack.backends.auth.faults.set({ hang: true });
    const token = await stack.token('u1');
    const started = performance.now();
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS * 4);
    expect(body.data).toEqual({ userDashboard: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'auth' });
  });
});
