import type { DocumentNode } from 'graphql';
import { operationOf } from '../security/index.js';
import { sentAsIs, type SerializableResult } from '../security/use-response-size-limit.js';
import { isAsyncIterable, processRegularResult } from 'graphql-yoga';
import type { ServerContext } from '../context/index.js';
import { maskErrorOf, type GatewayYoga } from './yoga.js';
import { manifestParams, markResolvedFromManifest } from './plugins/use-persisted-operations.js';

/** The GraphQL-over-HTTP parameters of one operation, as Yoga accepts them in a JSON body. */
interface GraphQLParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only the four parameters, each of its type; `query` is checked by the caller. */
function isPlainParams(body: unknown): body is Omit<GraphQLParams, 'query'> & { query?: unknown } {
  if (!isObject(body)) return false;
  for (const key in body) if (!PARAM_NAMES.has(key)) return false;
  const { variables, operationName, extensions } = body;
  return (
    (variables == null || isObject(variables)) &&
    (operationName == null || typeof operationName === 'string') &&
    (extensions == null || isObject(extensions))
  );
}

/** Accept headers for which Yoga answers `application/json` through its regular result processor. */
function wantsJson(accept: string | undefined): boolean {
  return accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json';
}

/**
 * A whole JSON answer as text: what Yoga's `processRegularResult` would send for a result without
 * errors (status 200, its content type, the result serialized once), without building a fetch
 * `Response` only to read its text back.
 */
export interface DirectAnswer {
  status: 200;
  contentType: typeof JSON_CONTENT_TYPE;
  body: string;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export type DirectExecution = (
  body: unknown,
  accept: string | undefined,
  serverContext: ServerContext,
) => Promise<DirectAnswer | Response | undefined>;

/**
 * Runs the common request, a JSON POST of one valid query that asks for JSON, through Yoga's
 * own envelop pipeline, and skips Yoga's fetch-API layer. The pipeline is every plugin's parse,
 * validate, context and execute hooks, Yoga's parse and validation caches and its error
 * masking. The answer is built by Yoga's own `processRegularResult`, so status, headers and
 * body are Yoga's.
 *
 * The fetch layer is a WHATWG Request and Response per request, with their promise helpers;
 * what skipping it is worth is measured in docs/benchmark.md ("Direct execution").
 *
 * Hand-written because Yoga has no such entry point. It declines (`undefined`, and the route
 * hands the request to Yoga) whenever its answer could differ from Yoga's:
 * - batches, unusual parameters or Accept headers;
 * - a persisted-query hash it cannot resolve from the manifest (`persisted`, the
 *   `GRAPHQL_PERSISTED_OPERATIONS` entries) without Yoga's `onParams`: a registration, an APQ
 *   store entry, an unknown hash;
 * - a parse or validation error, or an operation that is not a query (mutations keep Yoga's
 *   whole path);
 * - a streamed result (none for a query: the schema has no @defer/@stream).
 * Otherwise, once execution has started, it never declines: Yoga would run the query again,
 * and its upstream calls with it. What execution throws is answered as Yoga answers it (masked).
 * `GRAPHQL_DIRECT_EXECUTION=false` switches it off.
 */
export function createDirectExecution(yoga: GatewayYoga, persisted: ReadonlyMap<string, string> = new Map()): DirectExecution {
  const maskError = maskErrorOf(yoga);
  return async (body, accept, serverContext) => {
    if (!wantsJson(accept) || !isPlainParams(body)) return undefined;
    const params: GraphQLParams | undefined = typeof body.query === 'string' ? (body as GraphQLParams) : manifestParams(persisted, body);
    if (params === undefined) return undefined;
    const initialContext = { ...serverContext, params };
    if (params !== body) markResolvedFromManifest(initialContext);
    const enveloped = yoga.getEnveloped(initialContext as Parameters<GatewayYoga['getEnveloped']>[0]);
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
    } catch {
      return undefined;
    }
    if (enveloped.validate(enveloped.schema, document).length > 0) return undefined;
    if (operationOf({ document, operationName: params.operationName })?.operation !== 'query') return undefined;
    let result: unknown;
    try {
      const contextValue = await enveloped.contextFactory();
      result = await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      });
    } catch (error) {
      // As Yoga's own handling of an execution that throws: each error masked (which logs the unexpected).
      const errors = error instanceof AggregateError ? error.errors : [error];
      result = { errors: errors.map((e) => maskError(e)) };
    }
    if (isAsyncIterable(result)) return undefined;
    const executed = result as SerializableResult;
    // Yoga's status and body for a result without errors or `extensions.http`: 200 and the result
    // as its own `stringify` (graphql-jit's, or the size limit's text) or JSON.stringify writes it.
    if (sentAsIs(executed)) {
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: (executed.stringify ?? JSON.stringify)(executed) };
    }
    return processRegularResult(executed, yoga.fetchAPI, 'application/json');
  };
}
