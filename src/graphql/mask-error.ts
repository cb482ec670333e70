import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { GatewayError } from '../errors/index.js';

/** The GraphQL form of a coded gateway error. Field errors carry no HTTP status: partial data stays a 200. */
export function toGraphQLError(err: GatewayError, like?: GraphQLError): GraphQLError {
  return new GraphQLError(err.message, {
    nodes: like?.nodes,
    source: like?.source,
    positions: like?.positions,
    path: like?.path,
    extensions: {
      code: err.code,
      ...(err.service ? { service: err.service } : {}),
      ...(err.retryAfterSeconds !== undefined ? { retryAfter: err.retryAfterSeconds } : {}),
      ...err.details,
    },
  });
}

/**
 * Yoga's `maskError`: coded gateway errors pass as they are; GraphQL's own errors
 * (syntax, validation) too; anything else becomes "Unexpected error." and is logged,
 * so a client never sees a stack or an internal message.
 */
export function createMaskError(logger: Logger) {
  return (error: unknown): Error => {
    const graphQLError = error instanceof GraphQLError ? error : undefined;
    const original = graphQLError?.originalError ?? error;
    if (original instanceof GatewayError) return toGraphQLError(original, graphQLError);
    if (graphQLError && (!graphQLError.originalError || graphQLError.originalError instanceof GraphQLError)) {
      return graphQLError;
    }
    logger.error({ err: original, path: graphQLError?.path }, 'unexpected error in GraphQL execution');
    return new GraphQLError('Unexpected error.', {
      nodes: graphQLError?.nodes,
      path: graphQLError?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
