import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { requestError } from '../../errors/index.js';

export interface SubscriptionsOptions {
  /** Interval of the keep-alive comments on an SSE stream (`GRAPHQL_SSE_KEEPALIVE`, ms). */
  keepAliveMs: number;
}

const SSE = /(^|[\s,])text\/event-stream\s*(;|,|$)/i;

/** Where graphql-sse's "single connection mode" is served (`useGraphQLSSE`): a reservation, one stream, operations by token. */
export const SINGLE_CONNECTION_ENDPOINT = '/graphql/stream';

const isSingleConnection = (request: Request | undefined): boolean =>
  request !== undefined && new URL(request.url).pathname === SINGLE_CONNECTION_ENDPOINT;

/**
 * Subscriptions over GraphQL-over-SSE ("distinct connections" mode, as Yoga serves them):
 * - A subscription whose request does not ask for `text/event-stream` is refused with
 *   `BAD_REQUEST` (Yoga answered a bare 406, or held a never-ending stream open for a client
 *   that sent `*\/*` and waits for JSON).
 * - The stream's keep-alive comments come every `keepAliveMs`. Yoga's own SSE processor has the
 *   same wire format with a fixed 12 s (300 ms under NODE_ENV=test); proxies cut idle streams
 *   after their own timeouts, so the interval must be the operator's to set.
 */
export function useSubscriptions({ keepAliveMs }: SubscriptionsOptions): Plugin<Record<string, unknown>> {
  const processSse = sseProcessor(keepAliveMs);
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      // Single connection mode: the operation arrives by POST and its events go to the stream already open.
      if (isSingleConnection(request)) {
        return {
          // graphql-sse takes a result without a `data` key (a refusal: `{ errors }`) for execution
          // arguments and answers a bare 400 "Unable to detect operation AST"; with `data: null` it
          // sends the coded errors down the stream.
          onSubscribeResult({ result, setResult }) {
            if (!isAsyncIterable(result) && !('data' in result)) setResult({ ...result, data: null });
          },
        };
      }
      if (!SSE.test(request?.headers.get('accept') ?? '')) {
        setResultAndStopExecution({
          errors: [
            requestError('BAD_REQUEST', {
              message: 'Subscriptions are served over Server-Sent Events: send the request with Accept: text/event-stream.',
            }),
          ],
        });
      }
    },
    onResultProcess({ request, result, setResultProcessor }) {
      // A refusal (one result, not a stream) keeps Yoga's processor: one `next` event, then `complete`.
      if (isAsyncIterable(result) && SSE.test(request.headers.get('accept') ?? '')) setResultProcessor(processSse, 'text/event-stream');
    },
  };
}

type Processor = Parameters<Parameters<NonNullable<Plugin['onResultProcess']>>[0]['setResultProcessor']>[0];

/** A result as the client sees it: errors in their JSON form, without Yoga's internal `http` extension. */
function serialize(result: ExecutionResult): string {
  const errors = result.errors?.map((e: GraphQLError) => {
    const { http: _http, ...extensions } = e.extensions ?? {};
    return { ...e.toJSON(), ...(Object.keys(extensions).length ? { extensions } : { extensions: undefined }) };
  });
  return JSON.stringify({ ...result, ...(errors ? { errors } : {}) });
}

function sseProcessor(keepAliveMs: number): Processor {
  return (result, fetchAPI) => {
    const iterator = (result as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
    const encoder = new fetchAPI.TextEncoder();
    let timer: NodeJS.Timeout | undefined;
    // Subscribed from now on: Yoga's ReadableStream starts and pulls only once the client reads,
    // and an event published before that would be lost.
    let first: Promise<IteratorResult<ExecutionResult>> | undefined = iterator.next();
    first.catch(() => undefined); // its failure is the stream's, in pull()
    const stop = () => clearInterval(timer);
    const body = new fetchAPI.ReadableStream<Uint8Array>({
      start(controller) {
        // At once: some browsers hold fetch() until the first bytes of the body arrive.
        controller.enqueue(encoder.encode(':\n\n'));
        timer = setInterval(() => {
          if (controller.desiredSize === null) stop();
          else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
        }, keepAliveMs);
        timer.unref();
      },
      async pull(controller) {
        try {
          const next = await (first ?? iterator.next());
          first = undefined;
          if (next.value != null) controller.enqueue(encoder.encode(`event: next\ndata: ${serialize(next.value)}\n\n`));
          if (next.done) {
            stop();
            controller.enqueue(encoder.encode('event: complete\ndata:\n\n'));
            controller.close();
          }
        } catch (err) {
          stop();
          controller.error(err);
        }
      },
      async cancel(reason) {
        stop();
        await iterator.return?.(reason);
      },
    });
    return new fetchAPI.Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Yoga's way of keeping compression middleware (here @fastify/compress) off a stream.
        'content-encoding': 'none',
        // nginx (and proxies that honour it) pass each event on instead of buffering the stream.
        'x-accel-buffering': 'no',
      },
    });
  };
}
