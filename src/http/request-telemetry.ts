import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayServices } from '../context/index.js';
import { traceContextOf } from '../observability/trace-context.js';
import { requireMonitoringRead } from './guards.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The OpenTelemetry server span of this request (when tracing is on). */
    otelSpan?: Span;
  }
}

/** The route label of metrics and spans: the route pattern, never the raw URL (bounded cardinality). */
export function routeLabel(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'unmatched';
}

/**
 * Per-request observability: the server span (continuing the client's W3C trace; the trace
 * context every upstream call sends is taken from it), request counters and durations by
 * route and status, and `GET /metrics`. Registered after the request-identity hook, which
 * already set `req.id`; a request refused there (401) still gets its metrics and span from
 * the `onResponse` hook.
 */
export function registerObservability(app: FastifyInstance, services: GatewayServices): void {
  const { metrics, tracing } = services;

  if (tracing) {
    app.addHook('onRequest', async (req) => {
      startSpan(req, undefined);
    });
    app.addHook('onRequestAbort', async (req) => {
      const span = req.otelSpan;
      if (!span) return;
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
      span.end();
    });
  }

  app.addHook('onResponse', async (req, reply) => {
    const route = routeLabel(req);
    metrics.recordHttpRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (!tracing) return;
    const span = req.otelSpan ?? startSpan(req, Date.now() - reply.elapsedTime);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });

  function startSpan(req: FastifyRequest, startTime: number | undefined): Span | undefined {
    if (!tracing) return undefined;
    const route = routeLabel(req);
    const span = tracing.startRequestSpan(
      `${req.method} ${route}`,
      req.headers,
      {
        'http.request.method': req.method,
        'http.route': route,
        'url.path': req.url.split('?', 1)[0],
        'gateway.request_id': req.id,
      },
      startTime,
    );
    req.otelSpan = span;
    // Upstream calls continue the trace under this span (traceparent = this span's context).
    req.trace = traceContextOf(span);
    return span;
  }
}

/** `GET /metrics`: the Prometheus text exposition (a monitoring read). */
export function registerMetricsRoute(app: FastifyInstance, { metrics, config }: GatewayServices): void {
  app.get('/metrics', async (req: FastifyRequest, reply: FastifyReply) => {
    requireMonitoringRead(req, config);
    const { contentType, body } = await metrics.expose();
    return reply.type(contentType).send(body);
  });
}
