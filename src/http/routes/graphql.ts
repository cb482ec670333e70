import type { FastifyInstance } from 'fastify';
import type { GatewayYoga } from '../../graphql/yoga.js';

/** Content types Yoga streams incrementally (subscriptions, @defer/@stream): passed on as streams. */
const STREAMED = /^(text\/event-stream|multipart\/mixed)/;

/** Hands `/graphql` to Yoga (its own fetch-style handler), copying its answer onto Fastify's reply. */
export function registerGraphQLRoute(app: FastifyInstance, yoga: GatewayYoga): void {
  app.route({
    url: yoga.graphqlEndpoint,
    method: ['GET', 'POST', 'OPTIONS'],
    handler: async (req, reply) => {
      const response = await yoga.handleNodeRequestAndResponse(req, reply, { req, reply });
      response.headers.forEach((value, key) => {
        reply.header(key, value);
      });
      reply.status(response.status);
      if (STREAMED.test(response.headers.get('content-type') ?? '')) return reply.send(response.body);
      // A single result is sent as one string: one write with a Content-Length instead of a piped
      // chunked stream, and @fastify/compress can apply its size threshold to it.
      return reply.send(await response.text());
    },
  });
}
