import { usePersistedOperations as useYogaPersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { Kind, parse, validate, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createPersistedOperationStore, type PersistedOperationStore } from '../../cache/persisted-operation-store.js';
import type { RedisBreaker } from '../../cache/redis-breaker.js';
import { ConfigError, type GatewayConfig } from '../../config/index.js';
import { sha256Hex } from '../../config/persisted-operations.js';
import { requestError, type ErrorCode } from '../../errors/index.js';

export interface PersistedOperationsOptions {
  /** `GRAPHQL_PERSISTED_OPERATIONS`: always known, never evicted. */
  manifest: ReadonlyMap<string, string>;
  /** `GRAPHQL_TRUSTED_ONLY`: the manifest's operations and nothing else. */
  trustedOnly: boolean;
  /** Registered Automatic Persisted Queries (ignored when `trustedOnly`). */
  store: PersistedOperationStore;
}

const HASH = /^[0-9a-f]{64}$/;

function codedError(code: ErrorCode, message?: string, headers?: Record<string, string>): GraphQLError {
  return requestError(code, { message, headers });
}

/** `extensions.persistedQuery.sha256Hash` of version 1 (Apollo's format, as urql sends it too), lowercased. */
function persistedHash(params: { extensions?: Record<string, unknown> | null } | undefined): string | undefined {
  const pq = params?.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  return pq !== null && typeof pq === 'object' && pq.version === 1 && typeof pq.sha256Hash === 'string'
    ? pq.sha256Hash.toLowerCase()
    : undefined;
}

/**
 * The Automatic Persisted Queries protocol and trusted documents.
 *
 * Lookup, `PERSISTED_QUERY_NOT_FOUND` and the trusted-only refusal are
 * `@graphql-yoga/plugin-persisted-operations` (its errors recoded to this gateway's codes).
 * What it lacks, added here:
 * - registration (a query sent with its hash): the hash is checked against the query at once
 *   (`PERSISTED_QUERY_MISMATCH`, nothing kept), and the pair is kept only once the document
 *   passed Yoga's validation with every limit (depth, cost, …), i.e. when it is about to
 *   execute. `@graphql-yoga/plugin-apq` does this half, but stores before validating and
 *   needs `@graphql-tools/utils@10` (this project has 11 through codegen).
 * - the manifest, looked up first, and a store that is Redis when `REDIS_URL` is set;
 * - the direct-execution path (`direct-execution.ts`) skips Yoga's `onParams`, where all of
 *   the above happens. A request with a persisted-query hash, or any request in trusted-only
 *   mode, is therefore refused at parse there, which makes that path decline and hand it to
 *   Yoga's full path.
 * A persisted document is plain query text to Yoga, so after its first request Yoga's parse
 * cache (by text) and validation cache (by document) answer: no parse and no validation again.
 * Authorization, rate limits and the cost limit run as for any other operation.
 */
export function usePersistedOperations({
  manifest,
  trustedOnly,
  store,
}: PersistedOperationsOptions): Array<Plugin<Record<string, unknown>>> {
  /** Contexts whose parameters went through `onParams` (Yoga's full path). */
  const viaParams = new WeakSet<object>();
  /** Registrations waiting for their document to pass validation, by request context. */
  const pending = new WeakMap<object, { hash: string; query: string }>();

  const registration: Plugin<Record<string, unknown>> = {
    onParams({ params, context }) {
      viaParams.add(context);
      const hash = persistedHash(params);
      if (trustedOnly || hash === undefined || typeof params.query !== 'string' || params.query === '') return;
      if (sha256Hex(params.query) !== hash) throw codedError('PERSISTED_QUERY_MISMATCH');
      if (!manifest.has(hash)) pending.set(context, { hash, query: params.query });
    },
    onParse({ context }) {
      const params = (context as { params?: { extensions?: Record<string, unknown> | null } }).params;
      if (!viaParams.has(context) && (trustedOnly || persistedHash(params) !== undefined)) {
        throw codedError('BAD_REQUEST', 'Persisted operations run through Yoga’s full request path.');
      }
    },
    // Reached only by a document that parsed and passed validation (limits included).
    async onExecute({ args }) {
      const registering = pending.get(args.contextValue as object);
      if (registering === undefined) return;
      pending.delete(args.contextValue as object);
      await store.set(registering.hash, registering.query);
    },
    onDispose: () => store.dispose(),
  };

  const lookup = useYogaPersistedOperations<Record<string, unknown>>({
    allowArbitraryOperations: !trustedOnly,
    getPersistedOperation: async (key) => {
      const hash = key.toLowerCase();
      if (!HASH.test(hash)) return null;
      return manifest.get(hash) ?? (trustedOnly ? null : ((await store.get(hash)) ?? null));
    },
    customErrors: {
      // The message and code Apollo Client and urql react to (they then send the query).
      // Never cached by a CDN: the next request registers it.
      notFound: () =>
        codedError('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { 'cache-control': 'private, no-cache, must-revalidate' }),
      persistedQueryOnly: () => codedError('PERSISTED_QUERY_ONLY'),
      keyNotFound: () =>
        trustedOnly
          ? codedError('PERSISTED_QUERY_ONLY')
          : codedError('BAD_REQUEST', 'Must provide query string, or extensions.persistedQuery { version: 1, sha256Hash }.'),
    },
  });
  return [registration, lookup as Plugin<Record<string, unknown>>];
}

/**
 * Start-up check of the manifest's documents: each parses, holds an operation and is valid for
 * `schema` (graphql-js's rules; the limits apply per request). A manifest from an older schema
 * stops start-up, naming the variable, instead of failing its clients one by one.
 */
export function checkManifest(manifest: ReadonlyMap<string, string>, schema: GraphQLSchema): void {
  for (const [hash, document] of manifest) {
    let problem: string | undefined;
    try {
      const ast = parse(document);
      if (!ast.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION)) problem = 'holds no operation';
      else {
        const invalid = validate(schema, ast)[0];
        if (invalid) problem = `is not valid for the schema: ${invalid.message}`;
      }
    } catch (err) {
      problem = `does not parse: ${(err as Error).message}`;
    }
    if (problem !== undefined) throw new ConfigError([{ variable: 'GRAPHQL_PERSISTED_OPERATIONS', message: `entry ${hash} ${problem}` }]);
  }
}

/** The plugins for a gateway's config, with their store (Redis when `REDIS_URL` is set; closed with Yoga). */
export function persistedOperationsFor(
  config: GatewayConfig,
  logger: Logger,
  schema: GraphQLSchema,
  redisBreaker?: RedisBreaker,
): Array<Plugin<Record<string, unknown>>> {
  checkManifest(config.graphql.persistedOperations, schema);
  // Trusted-only never registers: no Redis connection for a store nobody writes.
  const store = createPersistedOperationStore({ redisUrl: config.graphql.trustedOnly ? undefined : config.redisUrl, logger, redisBreaker });
  return usePersistedOperations({ manifest: config.graphql.persistedOperations, trustedOnly: config.graphql.trustedOnly, store });
}
