import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { RequestContext, ServerContext } from '../../context/index.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { GatewayTracing } from '../../observability/tracing.js';
import { operationOf } from '../../security/index.js';

/**
 * A span and metrics per executed GraphQL operation (`gateway_graphql_operations_total`,
 * `gateway_graphql_operation_duration_seconds`). The span is a child of the request span,
 * and the upstream calls the operation makes hang under it. Hand-written rather than
 * `@graphql-yoga/plugin-prometheus`/`@envelop/opentelemetry`: a dozen lines that share the
 * gateway's own registry, label names and tracer instead of global ones.
 */
export function useOperationTelemetry(
  metrics: GatewayMetrics,
  tracing: GatewayTracing | undefined,
): Plugin<RequestContext & ServerContext> {
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as RequestContext & Partial<ServerContext>;
      const operation = operationOf(args);
      // Client-chosen names are bounded: anything odd or long is folded into one label.
      const rawName = operation?.name?.value ?? 'anonymous';
      const name = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(rawName) ? rawName : 'other';
      const type = operation?.operation ?? 'unknown';
      const started = performance.now();
      const parent = ctx.call.span;
      const span = tracing?.startChildSpan(`${type} ${name}`, parent, SpanKind.INTERNAL, {
        'graphql.operation.name': name,
        'graphql.operation.type': type,
        'gateway.request_id': ctx.requestId,
      });
      // The operation's upstream calls hang under its span (the call context carries it).
      if (span) ctx.call.span = span;
      return {
        onExecuteDone({ result }) {
          const ok = Symbol.asyncIterator in result ? true : !result.errors?.length;
          metrics.recordGraphQLOperation(name, type, ok, (performance.now() - started) / 1000);
          if (!span) return;
          if (!ok) span.setStatus({ code: SpanStatusCode.ERROR });
          // Back under the request span for whatever the request does after the operation.
          ctx.call.span = parent;
          span.end();
        },
      };
    },
  };
}
