import { ROOT_CONTEXT, SpanKind, defaultTextMapGetter, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface GatewayTracingOptions {
  /** `service.version` of the spans. */
  version: string;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: spans are exported there over OTLP/HTTP (`<endpoint>/v1/traces`). */
  otlpEndpoint?: string;
  /** An exporter of one's own (tests use `InMemorySpanExporter`); exported span by span, synchronously. */
  exporter?: SpanExporter;
}

const propagator = new W3CTraceContextPropagator();

/**
 * OpenTelemetry spans of one gateway: the incoming request (continuing the client's W3C
 * trace), the GraphQL operation, and each upstream call. The provider is the gateway's own,
 * never registered globally, so several gateways can live in one process (tests). Parents are
 * passed explicitly rather than through a global context manager, for the same reason.
 * Without an exporter, spans are still created (their ids are what goes upstream in
 * `traceparent`) but nothing is recorded beyond that.
 */
export class GatewayTracing {
  readonly provider: TracerProvider;
  readonly tracer: Tracer;

  constructor(opts: GatewayTracingOptions) {
    const spanProcessors: SpanProcessor[] = [];
    if (opts.exporter) spanProcessors.push(new SimpleSpanProcessor({ exporter: opts.exporter }));
    if (opts.otlpEndpoint) {
      const url = `${opts.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
      spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) }));
    }
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'knowledge-gateway', [ATTR_SERVICE_VERSION]: opts.version }),
      spanProcessors,
    });
    this.tracer = this.provider.getTracer('knowledge-gateway', opts.version);
  }

  /** The server span of an incoming request, child of the client's `traceparent` when it sent a valid one. */
  startRequestSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes, startTime?: number): Span {
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, startTime }, parent);
  }

  /** A child span (the GraphQL operation, an upstream call). */
  startChildSpan(name: string, parent: Span | undefined, kind: SpanKind, attributes: Attributes, startTime?: number): Span {
    const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, { kind, attributes, startTime }, ctx);
  }

  /** The client span of one upstream call, started as the call starts (the upstream client ends it). */
  startCallSpan(name: string, attributes: Attributes, parent: Span | undefined): Span {
    return this.startChildSpan(name, parent, SpanKind.CLIENT, attributes);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
