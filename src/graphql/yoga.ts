import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayServices, RequestContext } from '../context/index.js';
import { createRequestContext } from '../context/index.js';
import { getSchema } from '../schema/index.js';
import { createMaskError } from './mask-error.js';
import { useStaleExtensions } from './plugins/use-stale-extensions.js';
import { useOperationTelemetry } from './plugins/use-operation-telemetry.js';
import { useResponseCacheHint } from './plugins/use-response-cache-hint.js';
import { persistedOperationsFor } from './plugins/use-persisted-operations.js';
import type { CacheHint } from '../cache/index.js';
import { useAuditLog, useGraphQLHardening, useMutationRateLimit } from '../security/index.js';

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

export interface ServerContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** Present when the HTTP layer may cache this response whole (see `ResponseCache`). */
  cacheHint?: CacheHint;
}

export type GatewayYoga = YogaServerInstance<ServerContext, RequestContext>;

/** graphql-yoga over the Pothos schema; the per-request context comes from the HTTP layer's verified principal. */
export function createGatewayYoga(services: GatewayServices, graphiql: GraphiQLDefaults = {}): GatewayYoga {
  const { config, logger } = services;
  return createYoga<ServerContext, RequestContext>({
    schema: getSchema(),
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
    maskedErrors: { maskError: createMaskError(logger) },
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
      ...useGraphQLHardening(config),
      ...persistedOperationsFor(config, logger, getSchema()),
      useAuditLog(),
      useMutationRateLimit(services.rateLimits),
      useStaleExtensions(),
      useResponseCacheHint((field) => services.rateLimits.fieldRules(field).length > 0),
      useOperationTelemetry(services.metrics, services.tracing),
      // Executes through graphql-jit: each operation is compiled once (cached per document),
      // then run without graphql-js's per-field resolution walk.
      ...(config.graphql.jit ? [useGraphQlJit()] : []),
    ],
  });
}
