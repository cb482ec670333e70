import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

/** `GET /metrics` in the Prometheus text format, moving with traffic. */
describe('Prometheus metrics', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack({ env: { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', ORCHESTRATION_RETRY_ATTEMPTS: '0' } });
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.backends.resetAll());

  async function scrape(): Promise<Map<string, PromFamily>> {
    const res = await request(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await res.body.text());
    return new Map(families.map((f) => [f.name, f]));
  }

  /** The value of one counter/gauge sample whose labels include `labels` (0 when absent). */
  function value(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
    const family = families.get(name);
    const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return sample?.value === undefined ? 0 : Number(sample.value);
  }

  it('exposes the gateway families with Prometheus types, plus the default process metrics', async () => {
    const families = await scrape();
    const expected: Record<string, PromFamily['type']> = {
      gateway_http_requests_total: 'COUNTER',
      gateway_http_request_duration_seconds: 'HISTOGRAM',
      gateway_upstream_requests_total: 'COUNTER',
      gateway_upstream_request_duration_seconds: 'HISTOGRAM',
      gateway_graphql_operations_total: 'COUNTER',
      gateway_graphql_operation_duration_seconds: 'HISTOGRAM',
      gateway_circuit_breaker_state: 'GAUGE',
      gateway_circuit_breaker_transitions_total: 'COUNTER',
      gateway_circuit_breaker_rejections_total: 'COUNTER',
      gateway_cache_hits_total: 'COUNTER',
      gateway_cache_misses_total: 'COUNTER',
      gateway_cache_keys: 'GAUGE',
      gateway_sync_state: 'GAUGE',
      gateway_dashboards_total: 'COUNTER',
      process_cpu_seconds_total: 'COUNTER',
      nodejs_eventloop_lag_seconds: 'GAUGE',
    };
    for (const [name, type] of Object.entries(expected)) expect(families.get(name)?.type, name).toBe(type);
    expect(value(families, 'gateway_circuit_breaker_state', { service: 'comment' })).toBe(0);
  });

  it('counters move with traffic: HTTP requests by route, GraphQL operations, upstream calls, cache', async () => {
    const user = await stack.token('u1');
    const before = await scrape();
    const query = 'query Industries { industries { id } }';
    await stack.graphql(query, {}, { token: user });
    await stack.graphql(query, {}, { token: user });
    const passthrough = await request(`${stack.url}/api/users/u1`, { headers: { authorization: `Bearer ${user}` } });
    await passthrough.body.dump();
    const after = await scrape();

    const graphqlOk = { method: 'POST', route: '/graphql', status_code: '200' };
    expect(value(after, 'gateway_http_requests_total', graphqlOk) - value(before, 'gateway_http_requests_total', graphqlOk)).toBe(2);
    const op = { operation_name: 'Industries', operation_type: 'query', result: 'ok' };
    expect(value(after, 'gateway_graphql_operations_total', op) - value(before, 'gateway_graphql_operations_total', op)).toBe(2);

    // One upstream call for the two queries (the second is a cache hit), labelled by service and route.
    const industries = { service: 'industry', method: 'GET', route: '/api/industries', status: '200' };
    expect(value(after, 'gateway_upstream_requests_total', industries) - value(before, 'gateway_upstream_requests_total', industries)).toBe(
      1,
    );
    expect(value(after, 'gateway_cache_hits_total') - value(before, 'gateway_cache_hits_total')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'gateway_cache_misses_total') - value(before, 'gateway_cache_misses_total')).toBeGreaterThanOrEqual(1);

    // Passthrough: the route pattern, never the raw path with its id.
    const pass = { method: 'GET', route: '/api/users/*', status_code: '200' };
    expect(value(after, 'gateway_http_requests_total', pass) - value(before, 'gateway_http_requests_total', pass)).toBe(1);
    const upstreamPass = { service: 'auth', route: '/api/users/*', status: '200' };
    expect(
      value(after, 'gateway_upstream_requests_total', upstreamPass) - value(before, 'gateway_upstream_requests_total', upstreamPass),
    ).toBe(1);
    const labels = after.get('gateway_upstream_requests_total')!.metrics.map((m) => m.labels?.route ?? '');
    expect(labels.some((r) => /u1/.test(r))).toBe(false);
  });

  it('the breaker gauge and transition counter follow an opening breaker', async () => {
    const before = await scrape();
    stack.backends.nps.faults.set({ failStatus: 500 });
    // Data calls (a passthrough 5xx is relayed to its caller and not counted by the breaker).
    for (const id of ['u31', 'u32', 'u33']) await stack.graphql(`{ user(id: "${id}") { nps { score } } }`, {}, { token: admin });
    const after = await scrape();
    expect(value(after, 'gateway_circuit_breaker_state', { service: 'nps' })).toBe(2);
    const opened = { service: 'nps', from: 'CLOSED', to: 'OPEN' };
    expect(
      value(after, 'gateway_circuit_breaker_transitions_total', opened) -
        value(before, 'gateway_circuit_breaker_transitions_total', opened),
    ).toBe(1);
    expect(value(after, 'gateway_circuit_breaker_rejections_total', { service: 'nps' })).toBeGreaterThanOrEqual(1);
    expect(value(after, 'gateway_upstream_requests_total', { service: 'nps', status: '500' })).toBeGreaterThanOrEqual(2);
    stack.app.services.upstreams.clients.nps.breaker.reset();
  });

  it('is a monitoring read: public in development, refused to a user when MONITORING_PUBLIC=false', async () => {
    const open = await request(`${stack.url}/metrics`);
    expect(open.statusCode).toBe(200);
    await open.body.dump();

    const closed = await startStack({ env: { MONITORING_PUBLIC: 'false' } });
    try {
      const anonymous = await request(`${closed.url}/metrics`);
      expect(anonymous.statusCode).toBe(401);
      await anonymous.body.dump();
      const user = await request(`${closed.url}/metrics`, { headers: { authorization: `Bearer ${await closed.token('u1')}` } });
      expect(user.statusCode).toBe(403);
      expect(await user.body.json()).toMatchObject({ error: 'FORBIDDEN' });
    } finally {
      await closed.close();
    }
  });

  it('compresses large answers (gzip) for clients that accept it', async () => {
    const res = await request(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${admin}`, 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    await res.body.dump();
  });
});
