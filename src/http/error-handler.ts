import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, toGraphQLError, type ErrorCode } from '../errors/index.js';
import { routeConfig } from '../security/route-config.js';

/** Fastify's own client errors, mapped onto our codes. */
const FASTIFY_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'BAD_REQUEST',
  429: 'RATE_LIMITED',
};

/**
 * Sends a coded error; a route declaring `errorShape: 'graphql'` gets the GraphQL error shape
 * (the same extensions a GraphQL plugin's refusal carries), others `{"error","message"}`.
 */
export function sendError(req: FastifyRequest, reply: FastifyReply, err: GatewayError): FastifyReply {
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  reply.code(err.status);
  if (routeConfig(req).errorShape === 'graphql') return reply.send({ errors: [toGraphQLError(err).toJSON()] });
  return reply.send(err.toJSON());
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route or hook runs (a URL
 * that does not decode, a path parameter over `maxParamLength`) is coded like everything else,
 * instead of Fastify's own `FST_ERR_*` body.
 */
export function handleFrameworkError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long.'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'The URL is malformed.'
        : 'The request is malformed.';
  void sendError(req, reply, new GatewayError('BAD_REQUEST', { message }));
}

/**
 * Every error leaves as a coded JSON answer; nothing unexpected leaks its message or stack
 * (it is logged with the request id instead).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | GatewayError, req, reply) => {
    if (error instanceof GatewayError) return sendError(req, reply, error);
    const status = error.statusCode ?? 500;
    if (status < 500 && FASTIFY_CODES[status]) {
      const code = FASTIFY_CODES[status];
      return sendError(
        req,
        reply,
        new GatewayError(code, { message: status === 413 ? `The request body is larger than the limit.` : error.message }),
      );
    }
    if (status < 500) return sendError(req, reply, new GatewayError('BAD_REQUEST', { message: error.message }));
    req.log.error({ err: error }, 'unexpected error');
    return sendError(req, reply, new GatewayError('INTERNAL_SERVER_ERROR'));
  });

  app.setNotFoundHandler((req, reply) =>
    sendError(req, reply, new GatewayError('NOT_FOUND', { message: `No route for ${req.method} ${req.url.split('?', 1)[0]}.` })),
  );
}
