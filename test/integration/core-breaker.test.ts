import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../support/stack.js';

const THRESHOLD = 3;
const RESET_MS = 300;

/**
 * An opossum breaker per service opens after CIRCUIT_BREAKER_FAILURE_THRESHOLD
 * consecutive failures, fails fast while open, probes once after CIRCUIT_BREAKER_RESET_TIMEOUT.
 */
describe('core: circuit breaker', () => {
  let stack: Stack;
  let admin: string;
  const query = 'query { user(id: "u1") { id } }';
  const breaker = () => stack.app.services.upstreams.clients.auth.breaker;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        CIRCUIT_BREAKER_FAILURE_THRESHOLD: String(THRESHOLD),
        CIRCUIT_BREAKER_RESET_TIMEOUT: String(RESET_MS),
        // One try per call, so each query is exactly one breaker failure.
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
        ORCHESTRATION_CACHE_ENABLED: 'false',
        ORCHESTRATION_TIMEOUT: '5000',
      },
    });
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.backends.resetAll();
    for (const c of Object.values(stack.app.services.upstreams.clients)) c.breaker.reset();
  });

  async function failUntilOpen(): Promise<void> {
    stack.backends.auth.faults.set({ failStatus: 500 });
    for (let i = 1; i <= THRESHOLD; i++) {
      expect(breaker().state, `before failure ${i}`).toBe('CLOSED');
      const { body } = await stack.graphql(query, {}, { token: admin });
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(breaker().state).toBe('OPEN');
    expect(stack.backendRequests('auth')).toBe(THRESHOLD);
  }

  it(`${THRESHOLD} consecutive failures open it; open fails fast without reaching the backend`, async () => {
    await failUntilOpen();
    // Even a healthy backend is not asked while the breaker is open.
    stack.backends.auth.faults.reset();
    stack.backends.auth.requests.clear();
    // A slow service would make a call take 2 s; the open breaker answers at once.
    stack.backends.auth.faults.set({ latencyMs: 2000 });
    const started = performance.now();
    const { body } = await stack.graphql(query, {}, { token: admin });
    const elapsed = performance.now() - started;
    expect(body.data).toEqual({ user: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'auth' });
    expect(stack.backendRequests('auth')).toBe(0);
    expect(elapsed).toBeLessThan(1000);
    expect(breaker().stats.rejects).toBeGreaterThan(0);
  });

  it('a success between failures resets the count (consecutive rule, not a percentage)', async () => {
    for (let round = 0; round < 3; round++) {
      stack.backends.auth.faults.set({ failStatus: 500, failCount: THRESHOLD - 1 });
      for (let i = 0; i < THRESHOLD - 1; i++) await stack.graphql(query, {}, { token: admin });
      const ok = await stack.graphql(query, {}, { token: admin });
      expect(ok.body.errors).toBeUndefined();
    }
    expect(breaker().state).toBe('CLOSED');
  });

  it('half-open after the reset timeout: one probe, success closes it', async () => {
    await failUntilOpen();
    stack.backends.auth.faults.reset();
    stack.backends.auth.requests.clear();
    await waitFor(() => breaker().state === 'HALF_OPEN', RESET_MS * 10);
    const { body } = await stack.graphql(query, {}, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ user: { id: 'u1' } });
    expect(stack.backendRequests('auth')).toBe(1);
    expect(breaker().state).toBe('CLOSED');
  });

  it('half-open: a failed probe opens it again', async () => {
    await failUntilOpen();
    stack.backends.auth.requests.clear();
    await waitFor(() => breaker().state === 'HALF_OPEN', RESET_MS * 10);
    const { body } = await stack.graphql(query, {}, { token: admin });
    expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(stack.backendRequests('auth')).toBe(1);
    expect(breaker().state).toBe('OPEN');
  });

  it('half-open lets exactly one probe through; concurrent calls are refused', async () => {
    await failUntilOpen();
    stack.backends.auth.faults.reset();
    stack.backends.auth.faults.set({ latencyMs: 200 });
    stack.backends.auth.requests.clear();
    await waitFor(() => breaker().state === 'HALF_OPEN', RESET_MS * 10);
    // Different ids, so the gateway cannot coalesce them into one call.
    const answers = await Promise.all(
      ['u1', 'u3', 'u5'].map((id) => stack.graphql(`query { user(id: "${id}") { id } }`, {}, { token: admin })),
    );
    expect(stack.backendRequests('auth')).toBe(1);
    expect(answers.filter((a) => !a.body.errors)).toHaveLength(1);
    expect(answers.filter((a) => a.body.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE')).toHaveLength(2);
    expect(breaker().state).toBe('CLOSED');
  });

  it('only the failing service is cut off: the others keep answering', async () => {
    stack.backends.nps.faults.set({ failStatus: 500 });
    const token = await stack.token('u1');
    for (let i = 0; i < THRESHOLD; i++)
      await stack.graphql('query { userDashboard(userId: "u1") { nps { score } degraded } }', {}, { token });
    expect(stack.app.services.upstreams.clients.nps.breaker.state).toBe('OPEN');
    const { body } = await stack.graphql(
      'query { userDashboard(userId: "u1") { user { id } comments { id } nps { score } degraded } }',
      {},
      { token },
    );
    expect(body.data!.userDashboard).toMatchObject({ user: { id: 'u1' }, nps: null, degraded: ['nps'] });
    expect((body.data!.userDashboard as { comments: unknown[] }).comments).toHaveLength(10);
    for (const name of ['auth', 'comment', 'industry'] as const)
      expect(stack.app.services.upstreams.clients[name].breaker.state).toBe('CLOSED');
  });
});

describe('core: the breaker counts failed calls, retries included', () => {
  let stack: Stack;
  const query = 'query { user(id: "u1") { id } }';

  beforeAll(async () => {
    stack = await startStack({
      env: {
        CIRCUIT_BREAKER_FAILURE_THRESHOLD: String(THRESHOLD),
        ORCHESTRATION_RETRY_ATTEMPTS: '2',
        ORCHESTRATION_CACHE_ENABLED: 'false',
        ORCHESTRATION_TIMEOUT: '5000',
      },
    });
  });
  afterAll(() => stack?.close());

  it(`one call that fails every try is one failure; ${THRESHOLD} such calls open the breaker`, async () => {
    const admin = await stack.token('u2', 'admin');
    const breaker = stack.app.services.upstreams.clients.auth.breaker;
    stack.backends.auth.faults.set({ failStatus: 500 });
    for (let call = 1; call <= THRESHOLD; call++) {
      expect(breaker.state, `before call ${call}`).toBe('CLOSED');
      const { body } = await stack.graphql(query, {}, { token: admin });
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(stack.backendRequests('auth')).toBe(call * 3); // first try + 2 retries each
    }
    expect(breaker.state).toBe('OPEN');
    expect(breaker.stats.failures).toBe(THRESHOLD);
  });

  it('a call whose retry succeeds is a success for the breaker', async () => {
    const admin = await stack.token('u2', 'admin');
    const breaker = stack.app.services.upstreams.clients.auth.breaker;
    breaker.reset();
    stack.backends.resetAll();
    const failures = breaker.stats.failures;
    stack.backends.auth.faults.set({ failStatus: 500, failCount: 1 });
    const { body } = await stack.graphql(query, {}, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(breaker.stats.failures).toBe(failures);
    expect(breaker.stats.consecutiveFailures).toBe(0);
  });
});
