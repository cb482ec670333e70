import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { DashboardDocument } from '../generated/graphql.js';
import { sleep } from '../support/kit.js';
import { startStack, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

const RESET_TIMEOUT_MS = 200;

/**
 * An admin takes a service out of rotation. `POST /api/gateway/circuit-breaker/open`
 * and `openBreaker` force its breaker open until a reset: calls fail fast with
 * SERVICE_UNAVAILABLE, no half-open trial call reaches the service even after the reset timeout,
 * sync health probes go on, stats and metrics say `forced`.
 */
describe('admin: force a breaker open', () => {
  let stack: Stack;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        CIRCUIT_BREAKER_RESET_TIMEOUT: String(RESET_TIMEOUT_MS),
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_CHECK_INTERVAL: String(24 * 3_600_000),
        RATE_LIMIT_MUTATION_MAX: '1000',
      },
      app: { sync: { clock: new ManualClock() } },
    });
    admin = await stack.token('u2', 'admin');
    user = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; requestId?: string } = {}) => {
    const res = await request(`${stack.url}${path}`, {
      method: method as 'GET',
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.requestId ? { 'x-request-id': opts.requestId } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text.startsWith('{') ? JSON.parse(text) : text) as Record<string, unknown> };
  };
  const comment = () => stack.app.services.upstreams.clients.comment.breaker;
  const commentDataRequests = () => stack.backends.comment.requests.count((r) => r.path.startsWith('/api/'));

  it('REST: forced open, dashboards degrade at once, nothing reaches the service even after the reset timeout; reset closes it', async () => {
    const opened = await call('POST', '/api/gateway/circuit-breaker/open', {
      token: admin,
      body: { service: 'comment' },
      requestId: 'force-open-rest',
    });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ service: 'comment', breaker: { state: 'OPEN', forced: true } });
    expect(stack.logs.lines.filter((l) => l.audit === true && l.requestId === 'force-open-rest')).toEqual([
      expect.objectContaining({ action: 'openBreaker', outcome: 'success', actor: 'u2', target: 'comment' }),
    ]);

    const before = commentDataRequests();
    // Twice past the reset timeout: a plain OPEN breaker would have let a trial call through by now.
    for (let round = 0; round < 3; round++) {
      const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
      const d = body.data!.userDashboard!;
      expect(d.comments).toBeNull();
      expect(d.degraded).toEqual(['comment']);
      expect(d.nps?.score).toBe(9);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'comment' });
      const passthrough = await call('GET', '/api/comments?userId=u1', { token: user });
      expect(passthrough.status).toBe(503);
      expect(passthrough.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
      expect(comment().state).toBe('OPEN');
      await sleep(RESET_TIMEOUT_MS * 2);
    }
    expect(commentDataRequests()).toBe(before);
    expect(comment().stats.rejects).toBeGreaterThanOrEqual(6);

    // Sync health probes go on (they do not go through the breaker).
    const healthBefore = stack.backendRequests('comment', '/health');
    const report = await stack.app.services.sync.check();
    expect(stack.backendRequests('comment', '/health')).toBeGreaterThan(healthBefore);
    expect(report.services.find((s) => s.name === 'comment')?.state).toBe('in_sync');
    expect(comment().state).toBe('OPEN');

    // Operators see it: stats, services, metrics.
    const stats = await call('GET', '/api/gateway/stats', { token: admin });
    expect(stats.body).toMatchObject({ breakers: { comment: { state: 'OPEN', forced: true }, nps: { state: 'CLOSED', forced: false } } });
    const services = await call('GET', '/api/gateway/services', { token: admin });
    expect(JSON.stringify(services.body)).toContain('"forced":true');
    const metrics = await call('GET', '/metrics', { token: admin });
    const forced = parsePrometheusTextFormat(metrics.body as unknown as string).find((f) => f.name === 'gateway_circuit_breaker_forced');
    expect(forced?.type).toBe('GAUGE');
    expect(forced?.metrics.find((m) => m.labels?.service === 'comment')?.value).toBe('1');
    expect(forced?.metrics.find((m) => m.labels?.service === 'nps')?.value).toBe('0');

    const reset = await call('POST', '/api/gateway/circuit-breaker/reset', { token: admin, body: { service: 'comment' } });
    expect(reset.body).toMatchObject({ service: 'comment', breaker: { state: 'CLOSED', forced: false } });
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.degraded).toEqual([]);
    expect(body.data!.userDashboard!.comments?.length).toBeGreaterThan(0);
    expect(commentDataRequests()).toBeGreaterThan(before);
  });

  it('REST: 400 for an unknown or missing service, 401 anonymous, 403 user; refusals change nothing and are audited', async () => {
    const unknown = await call('POST', '/api/gateway/circuit-breaker/open', { token: admin, body: { service: 'billing' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringContaining('billing') });
    expect((await call('POST', '/api/gateway/circuit-breaker/open', { token: admin, body: {} })).status).toBe(400);
    expect((await call('POST', '/api/gateway/circuit-breaker/open', { body: { service: 'comment' } })).status).toBe(401);
    const refused = await call('POST', '/api/gateway/circuit-breaker/open', {
      token: user,
      body: { service: 'comment' },
      requestId: 'force-open-user',
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'FORBIDDEN' });
    expect(stack.logs.lines.filter((l) => l.audit === true && l.requestId === 'force-open-user')).toEqual([
      expect.objectContaining({ action: 'openBreaker', outcome: 'refused', actor: 'u1' }),
    ]);
    for (const c of Object.values(stack.app.services.upstreams.clients))
      expect(c.breaker.stats).toMatchObject({ state: 'CLOSED', forced: false });
  });

  it('GraphQL: openBreaker forces it open (Breaker.forced), BAD_USER_INPUT for an unknown service, FORBIDDEN for a user; resetBreaker ends it', async () => {
    const opened = await stack.graphql(
      'mutation { openBreaker(service: "nps") { name healthy breaker { state forced } } }',
      {},
      { token: admin },
    );
    expect(opened.body).toEqual({ data: { openBreaker: { name: 'nps', healthy: false, breaker: { state: 'OPEN', forced: true } } } });

    const before = stack.backendRequests('nps');
    await sleep(RESET_TIMEOUT_MS * 2);
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(body.data!.userDashboard!.degraded).toEqual(['nps']);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'nps' });
    const stats = await stack.graphql('{ stats { breakers { name breaker { state forced } } } }', {}, { token: admin });
    expect(
      (stats.body.data as { stats: { breakers: Array<{ name: string; breaker: unknown }> } }).stats.breakers.find((b) => b.name === 'nps')
        ?.breaker,
    ).toEqual({ state: 'OPEN', forced: true });
    expect(stack.backendRequests('nps') - before).toBe(0);

    const unknown = await stack.graphql('mutation { openBreaker(service: "billing") { name } }', {}, { token: admin });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const refused = await stack.graphql('mutation { openBreaker(service: "comment") { name } }', {}, { token: user });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(comment().stats).toMatchObject({ state: 'CLOSED', forced: false });

    const reset = await stack.graphql('mutation { resetBreaker(service: "nps") { breaker { state forced } } }', {}, { token: admin });
    expect(reset.body).toEqual({ data: { resetBreaker: { breaker: { state: 'CLOSED', forced: false } } } });
    const again = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect(again.body.errors).toBeUndefined();
    expect(stack.backendRequests('nps')).toBeGreaterThan(before);
  });
});
