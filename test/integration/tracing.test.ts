import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

/** Request ids and W3C trace context from the client to the backends and back, with OpenTelemetry spans. */
describe('request ids and tracing', () => {
  let stack: Stack;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    stack = await startStack({ app: { spanExporter: exporter } });
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    stack.backends.resetAll();
    exporter.reset();
    await stack.app.services.upstreams.cache.clear();
  });

  const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

  it('a GraphQL request: the client request id and trace id reach the backend and come back; spans form one tree', async () => {
    const token = await stack.token('u1');
    const res = await stack.graphql(
      'query Me { user(id: "u1") { id name } }',
      {},
      { token, headers: { 'x-request-id': 'client-req-1', traceparent: TRACEPARENT } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-req-1');

    const upstream = stack.backends.auth.requests.all();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.headers['x-request-id']).toBe('client-req-1');
    const sent = String(upstream[0]!.headers.traceparent);
    expect(sent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(sent).not.toContain(CLIENT_SPAN);

    await vi.waitFor(() => expect(spansOf(TRACE_ID).length).toBeGreaterThanOrEqual(3));
    const spans = spansOf(TRACE_ID);
    const server = spans.find((s) => s.name === 'POST /graphql')!;
    const operation = spans.find((s) => s.name === 'query Me')!;
    const call = spans.find((s) => s.name === 'GET auth')!;
    expect(parentOf(server)).toBe(CLIENT_SPAN);
    expect(parentOf(operation)).toBe(server.spanContext().spanId);
    expect(parentOf(call)).toBe(operation.spanContext().spanId);
    expect(server.attributes['gateway.request_id']).toBe('client-req-1');
    expect(server.attributes['http.response.status_code']).toBe(200);
    // The traceparent sent upstream continues the client's trace through the gateway's spans.
    expect(spans.map((s) => s.spanContext().spanId)).toContain(sent.split('-')[2]);

    // Every log line of the request carries its id; FEATURE_REQUEST_TRACING adds one per upstream call.
    const calls = stack.logs.find('upstream call').filter((l) => (l.upstream as { requestId?: string }).requestId === 'client-req-1');
    expect(calls).toHaveLength(1);
  });

  it('a data call: one live client span per call, and it is the parent the backend sees', async () => {
    const token = await stack.token('u1');
    const res = await stack.graphql('query Me { user(id: "u1") { id } }', {}, { token, headers: { traceparent: TRACEPARENT } });
    expect(res.status).toBe(200);
    const [upstream] = stack.backends.auth.requests.all();
    const parentId = String(upstream!.headers.traceparent).split('-')[2];

    await vi.waitFor(() => expect(spansOf(TRACE_ID).some((s) => s.name === 'GET auth')).toBe(true));
    const calls = spansOf(TRACE_ID).filter((s) => s.name === 'GET auth');
    expect(calls).toHaveLength(1);
    const [call] = calls;
    // Before: the span was recorded after the fact, so the backend saw the request span as its parent.
    expect(call!.spanContext().spanId).toBe(parentId);
    expect(call!.kind).toBe(SpanKind.CLIENT);
    expect(call!.attributes).toMatchObject({
      'gateway.service': 'auth',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'gateway.attempt': 1,
    });
  });

  it('a health check goes through the same pipeline: a client span and a metric of its own', async () => {
    // /health/services checks every service the sync monitor has no verdict on (monitoring is off in this stack).
    expect(stack.app.services.sync.enabled).toBe(false);
    await (await request(`${stack.url}/health/services`)).body.dump();
    await vi.waitFor(() =>
      expect(exporter.getFinishedSpans().some((s) => s.name === 'GET nps' && s.attributes['url.path'] === '/health')).toBe(true),
    );
    const admin = await stack.token('admin');
    const metrics = await (await request(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).body.text();
    expect(metrics).toMatch(/gateway_upstream_requests_total\{[^}]*service="nps"[^}]*route="\/health"[^}]*\} [1-9]/);
  });

  it('passthrough: the upstream call span is the parent the backend sees', async () => {
    const token = await stack.token('u1');
    const res = await request(`${stack.url}/api/comments/echo`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'pass-1', traceparent: TRACEPARENT },
    });
    expect(res.headers['x-request-id']).toBe('pass-1');
    const echo = (await res.body.json()) as { headers: Record<string, string> };
    expect(echo.headers['x-request-id']).toBe('pass-1');
    const [, traceId, parentId] = echo.headers.traceparent!.split('-');
    expect(traceId).toBe(TRACE_ID);

    await vi.waitFor(() => expect(spansOf(TRACE_ID).length).toBeGreaterThanOrEqual(2));
    const spans = spansOf(TRACE_ID);
    const server = spans.find((s) => s.name === 'GET /api/comments/*')!;
    const call = spans.find((s) => s.name === 'GET comment')!;
    expect(call.spanContext().spanId).toBe(parentId);
    expect(parentOf(call)).toBe(server.spanContext().spanId);
    expect(call.attributes['http.response.status_code']).toBe(200);
  });

  it.each([
    ['has spaces', 'not a sane id'],
    ['is too long', 'x'.repeat(129)],
  ])('a client request id that %s is replaced by a generated one, used upstream too', async (_why, bad) => {
    const token = await stack.token('u1');
    const res = await request(`${stack.url}/api/comments/echo`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': bad } });
    const id = res.headers['x-request-id'] as string;
    expect(id).not.toBe(bad);
    expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    const echo = (await res.body.json()) as { headers: Record<string, string> };
    expect(echo.headers['x-request-id']).toBe(id);
  });

  it('without a client traceparent a new trace starts; refused requests get a span and an id too', async () => {
    const res = await request(`${stack.url}/api/comments/echo`);
    expect(res.statusCode).toBe(401);
    const id = res.headers['x-request-id'];
    expect(id).toBeTruthy();
    await res.body.dump();
    await vi.waitFor(() => expect(exporter.getFinishedSpans().some((s) => s.attributes['gateway.request_id'] === id)).toBe(true));
    const span = exporter.getFinishedSpans().find((s) => s.attributes['gateway.request_id'] === id)!;
    expect(span.attributes['http.response.status_code']).toBe(401);
    expect(span.parentSpanContext).toBeUndefined();
  });
});
