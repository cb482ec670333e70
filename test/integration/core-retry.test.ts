import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument } from '../generated/graphql.js';
import { startStack, waitFor, type Stack } from '../support/stack.js';

/** P-retry for idempotent GETs on network errors, timeouts and 5xx/429 (Retry-After honoured), never on 4xx. */
describe('core: retries', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    // Retries 2 (stack default), a generous budget so backoff never runs out of it.
    stack = await startStack({ env: { ORCHESTRATION_TIMEOUT: '5000' } });
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  it('a transient 500 is retried and succeeds', async () => {
    stack.backends.auth.faults.set({ failStatus: 500, failCount: 1 });
    const { body } = await stack.graphql('query { user(id: "u1") { id name } }', {}, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ user: { id: 'u1', name: seed.getUser('u1')!.name } });
    expect(stack.backendRequests('auth', '/api/users')).toBe(2);
  });

  it('a transient connection reset is retried and succeeds', async () => {
    stack.backends.comment.faults.set({ reset: true });
    const token = await stack.token('u1');
    const pending = stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    // Heal the service once the first try has been refused.
    await waitFor(() => stack.backendRequests('comment') > 0, 10_000, 5);
    stack.backends.comment.faults.set({ reset: false });
    const { body } = await pending;
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.comments).toHaveLength(10);
    expect(body.data!.userDashboard!.degraded).toEqual([]);
    expect(stack.backendRequests('comment')).toBeGreaterThanOrEqual(2);
  });

  it('a 429 with Retry-After is retried after waiting at least that long', async () => {
    stack.backends.nps.faults.set({ failStatus: 429, failCount: 1, retryAfter: '1' });
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.nps).not.toBeNull();
    const calls = stack.backends.nps.requests.all();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('retries stop after ORCHESTRATION_RETRY_ATTEMPTS and the part fails with SERVICE_UNAVAILABLE', async () => {
    stack.backends.nps.faults.set({ failStatus: 503 });
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data!.userDashboard!.nps).toBeNull();
    expect(body.data!.userDashboard!.degraded).toEqual(['nps']);
    const err = body.errors!.find((e) => e.path?.join('.') === 'userDashboard.nps');
    expect(err?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'nps' });
    expect(stack.backendRequests('nps')).toBe(3); // first try + 2 retries
  });

  it.each([
    ['an unknown id (the batch route omits it)', false],
    ['a 404 answer', true],
  ])('%s is NOT_FOUND, not retried, and does not trip the breaker', async (_name, inject404) => {
    if (inject404) stack.backends.auth.faults.set({ failStatus: 404 });
    const breaker = stack.app.services.upstreams.clients.auth.breaker;
    const failuresBefore = breaker.stats.failures;
    const threshold = stack.app.config.breaker.failureThreshold;
    for (let i = 0; i < threshold + 1; i++) {
      stack.backends.auth.requests.clear();
      const { body } = await stack.graphql('query { user(id: "nope") { id } }', {}, { token: admin });
      expect(body.data).toEqual({ user: null });
      expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(stack.backendRequests('auth')).toBe(1);
    }
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.stats.failures).toBe(failuresBefore);
  });

  it('another 4xx is neither retried nor a breaker failure', async () => {
    stack.backends.auth.faults.set({ failStatus: 400 });
    const breaker = stack.app.services.upstreams.clients.auth.breaker;
    const failuresBefore = breaker.stats.failures;
    const threshold = stack.app.config.breaker.failureThreshold;
    for (let i = 0; i < threshold + 1; i++) {
      stack.backends.auth.requests.clear();
      const { body } = await stack.graphql('query { user(id: "u1") { id } }', {}, { token: admin });
      expect(body.data).toEqual({ user: null });
      expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
      expect(stack.backendRequests('auth')).toBe(1);
    }
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.stats.failures).toBe(failuresBefore);
  });
});
