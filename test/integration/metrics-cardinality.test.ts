import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayMetrics, OTHER_LABEL } from '../../src/observability/metrics.js';
import { startStack, type Stack } from '../support/stack.js';

/** 13.6: every distinct operation name, anonymous callers included, added series (3000 requests: /metrics 114 KB → 5.5 MB). */
describe('metrics: label values fed by clients are bounded (13.6)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '100000', METRICS_MAX_OPERATION_NAMES: '50' } });
  });
  afterAll(() => stack?.close());

  async function scrape(): Promise<{ size: number; operationNames: Set<string>; count: (name: string) => number }> {
    const res = await request(`${stack.url}/metrics`);
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    const family = parsePrometheusTextFormat(text).find((f) => f.name === 'gateway_graphql_operations_total');
    const samples = family?.metrics ?? [];
    return {
      size: text.length,
      operationNames: new Set(samples.map((m) => m.labels?.operation_name ?? '')),
      count: (name) => samples.filter((m) => m.labels?.operation_name === name).reduce((n, m) => n + Number(m.value), 0),
    };
  }

  it('3000 anonymous operations with distinct names add at most METRICS_MAX_OPERATION_NAMES series; the rest count as "other"', async () => {
    const before = await scrape();
    const total = 3000;
    let next = 0;
    // A few at a time: the point is the number of names, not load.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const i = next++;
          const res = await request(`${stack.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `query Probe${i} { __typename }` }),
          });
          expect(res.statusCode).toBe(200);
          await res.body.dump();
        }
      }),
    );
    const after = await scrape();
    const names = [...after.operationNames].filter((n) => n.startsWith('Probe'));
    expect(names).toHaveLength(50);
    expect(after.count(OTHER_LABEL)).toBe(total - 50);
    // 50 names' series, one "other" series: a few dozen KB, not megabytes.
    expect(after.size - before.size).toBeLessThan(200 * 1024);
    // Known names keep counting under their own label.
    const again = await request(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `query ${names[0]} { __typename }` }),
    });
    await again.body.dump();
    expect((await scrape()).count(names[0]!)).toBe(2);
    // 3000 requests on a shared 2-core machine: a generous bound, not a timing assertion.
  }, 180_000);

  it('other client-fed labels are bounded too: odd operation names and types, HTTP methods, routes, upstream paths', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false, maxOperationNames: 3 });
    for (let i = 0; i < 1000; i++) {
      metrics.recordGraphQLOperation(`Op${i}`, i % 2 ? 'query' : `weird${i}`, true, 0.001);
      metrics.recordGraphQLOperation(`bad name ${i}; drop`, 'query', true, 0.001);
      metrics.recordHttpRequest(`M${i}`, `/route/${i}`, 200, 0.001);
      metrics.recordUpstreamCall({
        service: 'auth',
        method: 'GET',
        route: `/api/users/name-${'x'.repeat(i % 50)}-${String.fromCharCode(97 + (i % 26))}`,
        status: 200,
        durationMs: 1,
      });
    }
    const families = parsePrometheusTextFormat((await metrics.expose()).body);
    const labelValues = (family: string, label: string) =>
      new Set(families.find((f) => f.name === family)?.metrics.map((m) => m.labels?.[label]));
    expect(labelValues('gateway_graphql_operations_total', 'operation_name')).toEqual(new Set(['Op0', 'Op1', 'Op2', OTHER_LABEL]));
    expect(labelValues('gateway_graphql_operations_total', 'operation_type')).toEqual(new Set(['query', OTHER_LABEL]));
    expect(labelValues('gateway_http_requests_total', 'method')).toEqual(new Set([OTHER_LABEL]));
    expect(labelValues('gateway_http_requests_total', 'route').size).toBeLessThanOrEqual(201);
    expect(labelValues('gateway_upstream_requests_total', 'route').size).toBeLessThanOrEqual(201);
    expect(Object.keys(metrics.requests.graphqlOperations).length).toBeLessThanOrEqual(2 * 4);
    expect(Object.keys(metrics.requests.byRoute).length).toBeLessThanOrEqual(201);
  });
});
