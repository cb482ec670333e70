import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { GatewayMetrics } from '../../../src/observability/metrics.js';

/** `gateway_upstream_requests_total` as {labels → value}, read back from the exposition text. */
async function upstreamCounts(metrics: GatewayMetrics): Promise<Map<string, number>> {
  const families = parsePrometheusTextFormat((await metrics.expose()).body);
  const family = families.find((f) => f.name === 'gateway_upstream_requests_total');
  return new Map(
    (family?.metrics ?? []).map((m) => {
      const { service, method, route, status } = m.labels ?? {};
      return [`${service} ${method} ${route} ${status}`, Number((m as { value: string }).value)];
    }),
  );
}

/**
 * recordUpstreamCall keeps the labels of each (service, method, raw route, status) it has seen,
 * so that an attempt costs no route split and no labels object: the series it writes must be
 * those the labels would be without the memo, including after the memo forgets.
 */
describe('upstream call metrics', () => {
  const call = (route: string, status: number | 'timeout' = 200) =>
    ({ service: 'comment', method: 'GET', route, status, durationMs: 2 }) as const;

  it('counts each call under its normalized route and status, the same call again under the same series', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    for (let i = 0; i < 3; i++) metrics.recordUpstreamCall(call('/api/comments'));
    metrics.recordUpstreamCall(call('/api/comments', 503));
    metrics.recordUpstreamCall(call('/api/comments', 'timeout'));
    // Raw paths with ids fold into one `:id` route.
    metrics.recordUpstreamCall(call('/api/users/u1'));
    metrics.recordUpstreamCall(call('/api/users/u2'));
    metrics.recordUpstreamCall({ ...call('/api/comments'), method: 'BREW' });

    expect(Object.fromEntries(await upstreamCounts(metrics))).toEqual({
      'comment GET /api/comments 200': 3,
      'comment GET /api/comments 503': 1,
      'comment GET /api/comments timeout': 1,
      'comment GET /api/users/:id 200': 2,
      'comment other /api/comments 200': 1,
    });
  });

  it('still counts into the same series once the memo has been cleared by many distinct raw routes', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.recordUpstreamCall(call('/api/comments'));
    // Passthrough-style paths with ids: far more distinct raw routes than the memo keeps.
    for (let i = 0; i < 5000; i++) metrics.recordUpstreamCall(call(`/api/users/u${i}`));
    metrics.recordUpstreamCall(call('/api/comments'));

    const counts = await upstreamCounts(metrics);
    expect(counts.get('comment GET /api/comments 200')).toBe(2);
    expect(counts.get('comment GET /api/users/:id 200')).toBe(5000);
    expect(counts.size).toBe(2);
  });
});
