import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { GatewayError, placeOf, toGraphQLError } from '../errors/index.js';

/**
 * Yoga's `maskError`: coded gateway errors pass as they are; GraphQL's own errors
 * (syntax, validation) too; anything else becomes "Unexpected error." and is logged,
 * so a client never sees a stack or an internal message.
 */
export function createMaskError(logger: Logger) {
  return (error: unknown): Error => {
    const graphQLError = isGraphQLError(error) ? error : undefined;
    const original = innermost(error);
    if (original instanceof GatewayError) return toGraphQLError(original, { like: graphQLError });
    if (graphQLError && isGraphQLError(original)) return graphQLError;
    logger.error({ err: original, path: graphQLError?.path }, 'unexpected error in GraphQL execution');
    return new GraphQLError('Unexpected error.', {
      ...placeOf(graphQLError),
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
