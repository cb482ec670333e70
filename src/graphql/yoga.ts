import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayServices, RequestContext, ServerContext } from '../context/index.js';
import { createRequestContext } from '../context/index.js';
import { getSchema, getSubgraphSchema } from '../schema/index.js';
import { createMaskError } from './mask-error.js';
import { useStaleExtensions } from './plugins/use-stale-extensions.js';
import { useOperationTelemetry } from './plugins/use-operation-telemetry.js';
import { useResponseCacheHint } from './plugins/use-response-cache-hint.js';
import { persistedOperationsFor } from './plugins/use-persisted-operations.js';
import { useAuditLog, useGraphQLHardening, useMutationRateLimit } from '../security/index.js';
import { useVariablesDepthLimit } from '../security/use-variables-depth-limit.js';
import { useKnownOperationTypes } from './plugins/use-known-operation-types.js';
import { useExecutionEngine } from './plugins/use-execution-engine.js';

export const EXAMPLE_QUERY = `# The dashboard of one user, from all four services in one query.
query Dashboard($userId: ID! = "u1") {
  userDashboard(userId: $userId) {
    user { id name email role }
    industry { name sector }
    recentJobs { title company postedAt }
    comments { body createdAt }
    nps { score respondedAt }
    degraded
    generatedAt
  }
}
`;

export interface GraphiQLDefaults {
  /** Headers pre-filled in GraphiQL's header editor (the demo puts a token here). */
  headers?: Record<string, string>;
  defaultQuery?: string;
}

export type GatewayYoga = YogaServerInstance<ServerContext, RequestContext>;

/** Each gateway Yoga's `maskError`, for direct execution to mask what it catches as Yoga would. */
const maskErrors = new WeakMap<GatewayYoga, (error: unknown) => Error>();

export function maskErrorOf(yoga: GatewayYoga): (error: unknown) => Error {
  const maskError = maskErrors.get(yoga);
  if (!maskError) throw new Error('Not a gateway Yoga (createGatewayYoga).');
  return maskError;
}

/** graphql-yoga over the Pothos schema; the per-request context comes from the HTTP layer's verified principal. */
export function createGatewayYoga(services: GatewayServices, graphiql: GraphiQLDefaults = {}): GatewayYoga {
  const { config, logger } = services;
  const maskError = createMaskError(logger);
  const schema = config.graphql.federation ? getSubgraphSchema() : getSchema();
  const yoga = createYoga<ServerContext, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // CORS is @fastify/cors's (CORS_ORIGINS) for every route. Yoga's own default echoes any
    // Origin with credentials allowed, and its headers were copied onto /graphql answers.
    cors: false,
    // GraphiQL is served from the bundled assets, so it works without internet access. They are
    // ~30 MB of heap once loaded, so they are imported on the first GraphiQL page, never when it is off.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: config.graphql.graphiql
      ? {
          title: 'Gateway GraphiQL',
          defaultQuery: graphiql.defaultQuery ?? EXAMPLE_QUERY,
          headers: JSON.stringify(graphiql.headers ?? { Authorization: 'Bearer <paste a token>' }, null, 2),
          shouldPersistHeaders: false,
        }
      : false,
    batching: { limit: config.graphql.maxBatch },
    maskedErrors: { maskError },
    logging: {
      debug: (...args) => logger.debug(args.join(' ')),
      info: (...args) => logger.info(args.join(' ')),
      warn: (...args) => logger.warn(args.join(' ')),
      // Yoga logs every error its maskError replaced: coded client errors (NOT_FOUND, FORBIDDEN,
      // a degraded part) are no server error, and createMaskError already logs the unexpected ones.
      error: (...args) => {
        if (logger.isLevelEnabled('debug')) logger.debug(args.join(' '));
      },
    },
    context: ({ req, cacheHint }) =>
      createRequestContext(services, {
        principal: req.principal,
        requestId: req.id,
        traceparent: req.trace.traceparent,
        log: req.log,
        cacheHint,
      }),
    // Hardening first: a refused query is never executed. Audit before the mutation limit, so a
    // rate-limited admin mutation is audited too.
    plugins: [
      useVariablesDepthLimit(),
      ...useGraphQLHardening(config),
      useKnownOperationTypes(),
      ...persistedOperationsFor(config, logger, schema, services.upstreams.cache.redisBreaker),
      useAuditLog(),
      useMutationRateLimit(services.rateLimits),
      useStaleExtensions(),
      useResponseCacheHint((field) => services.rateLimits.fieldRules(field).length > 0),
      useOperationTelemetry(services.metrics, services.tracing),
      // Last: every plugin above sees (and records) an operation refused for its variables.
      // graphql-jit (GRAPHQL_JIT) or graphql-js, with graphql-js's variable coercion either way.
      ...useExecutionEngine({ jit: config.graphql.jit, logger }),
    ],
  });
  maskErrors.set(yoga, maskError);
  return yoga;
}
