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
    const graphQLError = isGraphQLError(error) ? error : undefined;
    const original = innermost(error);
    if (original instanceof GatewayError) return toGraphQLError(original, graphQLError);
    if (graphQLError && isGraphQLError(original)) return graphQLError;
    logger.error({ err: original, path: graphQLError?.path }, 'unexpected error in GraphQL execution');
    return new GraphQLError('Unexpected error.', {
      nodes: graphQLError?.nodes,
      path: graphQLError?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/**
 * Duck-typed like Yoga's own check: `instanceof` fails when the executor and this module see
 * two copies of `graphql` (its ESM and CJS builds), which then masked every coded error.
 */
function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === 'GraphQLError';
}

/** The error at the bottom of a chain of GraphQL wrappers (`locatedError` may wrap twice). */
function innermost(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && isGraphQLError(current) && current.originalError; depth++) current = current.originalError;
  return current;
}
