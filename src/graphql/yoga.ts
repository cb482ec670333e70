import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
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
import { useSubscriptions, SINGLE_CONNECTION_ENDPOINT } from './plugins/use-subscriptions.js';
import { useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';

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

/** A batched read: one `users(ids:)` field, one call to the auth service for all three. */
export const EXAMPLE_USERS_QUERY = `# Several users in one field: the gateway batches them
# into ONE call to the auth service. A user token reads
# only its own record (the others are null, FORBIDDEN);
# an admin token reads them all.
query Users($ids: [ID!]! = ["u1", "u2", "u3"]) {
  users(ids: $ids) { id name email role industry { name } }
}
`;

export const EXAMPLE_SYNC_QUERY = `# Shared knowledge sync: each service's version against
# the expected one. A monitoring read: anyone while
# MONITORING_PUBLIC=true, else an admin token or API key.
query SyncStatus {
  syncStatus {
    status expectedVersion checkedAt
    services {
      name version expectedVersion state
      outOfSyncSince lastCheckedAt error
    }
  }
}
`;

export const EXAMPLE_EVENTS_SUBSCRIPTION = `# Live events from every replica: breaker and sync state
# changes, version changes, cache clears (Server-Sent
# Events). Press ▶ and leave it running; /status shows
# the same stream as a page. Same rule as monitoring reads.
subscription ServiceEvents {
  serviceEvents { type service from to at replica }
}
`;

export const EXAMPLE_ADMIN_MUTATION = `# An admin action: force a breaker open (maintenance),
# then close it again. It needs an ADMIN token: open the
# "Headers" tab below this editor and put
#   { "Authorization": "Bearer <admin token>" }
# (npm run demo prints one). A user token is refused
# with FORBIDDEN; every attempt is audited.
mutation OpenBreaker($service: String! = "comment") {
  openBreaker(service: $service) {
    name healthy breaker { state forced }
  }
}

mutation ResetBreaker($service: String! = "comment") {
  resetBreaker(service: $service) {
    name healthy breaker { state forced }
  }
}
`;

export interface GraphiQLDefaults {
  /** Headers pre-filled in GraphiQL's header editor (the demo puts a token here). */
  headers?: Record<string, string>;
  /** Headers of the admin mutation's tab (the demo puts its admin token here); default a placeholder. */
  adminHeaders?: Record<string, string>;
  defaultQuery?: string;
}

/**
 * The tabs GraphiQL opens with (when the browser has none stored): the dashboard first — the
 * one ▶ runs as the page opens — then a batched `users(ids:)`, `syncStatus`, `serviceEvents`
 * and an admin mutation with a note on where its token goes.
 */
export function graphiqlTabs(graphiql: GraphiQLDefaults = {}): Array<{ query: string; headers: string }> {
  const headers = JSON.stringify(graphiql.headers ?? { Authorization: 'Bearer <paste a token>' }, null, 2);
  const adminHeaders = JSON.stringify(graphiql.adminHeaders ?? { Authorization: 'Bearer <paste an admin token>' }, null, 2);
  return [
    { query: graphiql.defaultQuery ?? EXAMPLE_QUERY, headers },
    { query: EXAMPLE_USERS_QUERY, headers },
    { query: EXAMPLE_SYNC_QUERY, headers },
    { query: EXAMPLE_EVENTS_SUBSCRIPTION, headers },
    { query: EXAMPLE_ADMIN_MUTATION, headers: adminHeaders },
  ];
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
          defaultTabs: graphiqlTabs(graphiql),
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
        span: req.otelSpan,
        log: req.log,
        cacheHint,
      }),
    // Hardening first: a refused query is never executed. Audit before the mutation limit, so a
    // rate-limited admin mutation is audited too.
    plugins: [
      useVariablesDepthLimit(),
      ...useGraphQLHardening(config),
      useKnownOperationTypes(),
      useSubscriptions({ keepAliveMs: config.graphql.sseKeepAliveMs }),
      // GraphQL over SSE's "single connection mode" (graphql-sse's protocol) on its own path. Not
      // with GRAPHQL_TRUSTED_ONLY: its operations skip Yoga's parameter hooks (persisted operations).
      ...(config.graphql.trustedOnly ? [] : [useGraphQLSSE({ endpoint: SINGLE_CONNECTION_ENDPOINT }) as Plugin<Record<string, unknown>>]),
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
