import type { FastifyInstance } from 'fastify';
import type { GatewayYoga } from '../../graphql/yoga.js';

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
      return reply.send(response.body);
    },
  });
}
