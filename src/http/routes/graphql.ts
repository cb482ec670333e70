import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CacheHint, type CacheKey, type ResponseCache } from '../../cache/index.js';
import { GatewayError } from '../../errors/index.js';
import { paramsDepthError } from '../../security/use-variables-depth-limit.js';
import type { GatewayPubSub } from '../../events/index.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { DirectExecution } from '../../graphql/direct-execution.js';
import type { GatewayYoga } from '../../graphql/yoga.js';

/** Content types Yoga streams incrementally (subscriptions, @defer/@stream): passed on as streams. */
const STREAMED = /^(text\/event-stream|multipart\/mixed)/;

export interface GraphQLRouteOptions {
  /** Handed to Yoga on the server context (subscriptions read it there). */
  pubsub?: GatewayPubSub;
  responseCache?: ResponseCache;
  /**
   * `GRAPHQL_TRUSTED_ONLY`: a body without a persisted-query hash is refused as such, and the
   * response cache is not consulted (its keys are bodies with a query text, which never run here).
   */
  trustedOnly?: boolean;
  /** Runs plain JSON queries through Yoga's envelop pipeline without its fetch layer. */
  direct?: DirectExecution;
  metrics?: GatewayMetrics;
}

/**
 * Hands `/graphql` to Yoga, copying its answer onto Fastify's reply: a plain JSON query
 * through `direct` (Yoga's pipeline without its fetch layer), anything else through Yoga's
 * own fetch-style handler. With a response cache, a query whose response was kept is
 * answered before Yoga: authentication, rate limits and the HTTP hooks have run, and
 * everything Yoga would check (CSRF, limits, validation) depends only on the body, which
 * already passed them.
 */
export function registerGraphQLRoute(
  app: FastifyInstance,
  yoga: GatewayYoga,
  { responseCache, direct, metrics, pubsub, trustedOnly = false }: GraphQLRouteOptions = {},
): void {
  app.route({
    url: yoga.graphqlEndpoint,
    method: ['GET', 'POST', 'OPTIONS'],
    config: { errorShape: 'graphql' },
    handler: async (req, reply) => {
      // Before anything walks the body (the cache key stringifies it): refusals thrown here are
      // answered by the error handler as coded GraphQL errors.
      if (req.method === 'POST' && isJson(req)) refuseMalformedBody(req.body, trustedOnly);
      const key = responseCache && !trustedOnly ? cacheKeyOf(req, responseCache) : undefined;
      if (key) {
        const hit = await responseCache!.get(key);
        metrics?.recordResponseCache(hit ? 'hit' : 'miss');
        if (hit) return reply.status(200).header('content-type', hit.contentType).send(hit.body);
      }
      const cacheHint = key ? new CacheHint() : undefined;
      const serverContext = { req, reply, cacheHint, pubsub };
      // A whole answer is kept (when it may be) and sent as one string: one write with a
      // Content-Length instead of a piped chunked stream, and @fastify/compress can apply its
      // size threshold to it.
      const sendWhole = async (status: number, contentType: string, body: string) => {
        if (key && status === 200) await responseCache!.set(key, { contentType, body }, cacheHint!);
        // An answer without a content type (a bodiless refusal) keeps Fastify's own.
        if (contentType) reply.header('content-type', contentType);
        return reply.status(status).send(body);
      };
      const answer = req.method === 'POST' ? await direct?.(req.body, req.headers.accept, serverContext) : undefined;
      if (answer !== undefined && 'contentType' in answer) return sendWhole(answer.status, answer.contentType, answer.body);
      return relay(reply, answer ?? (await yoga.handleNodeRequestAndResponse(req, reply, serverContext)), sendWhole);
    },
  });
}

/**
 * graphql-sse's "single connection mode" (`useGraphQLSSE`): PUT reserves a stream and answers
 * its token, GET (or POST) with that token opens it, POST with the token header runs an
 * operation on it, DELETE stops one. Behind the same hooks as `/graphql` (identity, rate limit
 * per request, audit); no response cache and no direct execution.
 */
export function registerGraphQLStreamRoute(app: FastifyInstance, yoga: GatewayYoga, url: string): void {
  app.route({
    url,
    method: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    config: { errorShape: 'graphql' },
    handler: async (req, reply) => {
      // Yoga's parameter hooks (the variables depth limit among them) do not run on this path.
      if (req.method === 'POST' && isJson(req)) {
        const refusal = paramsDepthError(req.body);
        if (refusal) throw refusal;
      }
      return relay(reply, await yoga.handleNodeRequestAndResponse(req, reply, { req, reply }));
    },
  });
}

/**
 * Yoga's answer through Fastify: its status and headers, then a stream as it comes, or a single
 * result read whole and handed to `whole` (default: sent as one string).
 */
async function relay(
  reply: FastifyReply,
  response: Response,
  whole: (status: number, contentType: string, body: string) => Promise<FastifyReply> | FastifyReply = (status, _type, body) =>
    reply.status(status).send(body),
): Promise<FastifyReply> {
  response.headers.forEach((value, name) => {
    reply.header(name, value);
  });
  const contentType = response.headers.get('content-type') ?? '';
  if (STREAMED.test(contentType)) return reply.status(response.status).send(response.body);
  return whole(response.status, contentType, await response.text());
}

function isJson(req: FastifyRequest): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

/**
 * A JSON body Yoga would misreport: Fastify has parsed it already, and Yoga's Node adapter
 * takes an empty parsed body (`{}`, `[]`, `null`) or a non-object one as "not parsed", reads
 * the consumed stream and answered "POST body sent invalid JSON" with the parser's message.
 * Also bounds the nesting of each operation's parameters (`paramsDepthError`).
 */
function refuseMalformedBody(body: unknown, trustedOnly: boolean): void {
  const shape = 'a JSON object such as {"query": "{ __typename }"}, or a non-empty array of them (a batch)';
  if (Array.isArray(body)) {
    if (body.length === 0) throw new GatewayError('BAD_REQUEST', { message: `The batch is empty: send ${shape}.` });
    for (const op of body)
      if (!isObject(op))
        throw new GatewayError('BAD_REQUEST', { message: `Each operation of a batch must be a JSON object: send ${shape}.` });
  } else if (!isObject(body)) {
    throw new GatewayError('BAD_REQUEST', { message: `The request body must be ${shape}.` });
  }
  for (const op of Array.isArray(body) ? (body as Array<Record<string, unknown>>) : [body]) {
    if (op.query == null && !isObject(isObject(op.extensions) ? op.extensions.persistedQuery : undefined)) {
      if (trustedOnly) {
        throw new GatewayError('PERSISTED_QUERY_ONLY', {
          message: 'This gateway runs only persisted operations: send extensions.persistedQuery with the sha256Hash of a known operation.',
        });
      }
      throw new GatewayError('BAD_REQUEST', { message: 'The request has no GraphQL query: send {"query": "…"}.' });
    }
    const refusal = paramsDepthError(op);
    if (refusal) throw refusal;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The cache key of a request whose response may be kept: a JSON POST of one operation
 * (batches, GETs and multipart uploads are never cached), keyed by its verified caller.
 */
function cacheKeyOf(req: FastifyRequest, cache: ResponseCache): CacheKey | undefined {
  if (req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/json')) return undefined;
  const body = req.body as { query?: unknown } | null;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof body.query !== 'string') return undefined;
  const caller = req.principal ? `${req.principal.id}:${req.principal.role}` : '';
  return cache.key({ caller, accept: req.headers.accept ?? '', body: JSON.stringify(body) });
}
