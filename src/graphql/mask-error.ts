import { GraphQLError, Source, type SourceLocation } from 'graphql';
import type { Logger } from 'pino';
import { GatewayError } from '../errors/index.js';

/** The GraphQL form of a coded gateway error. Field errors carry no HTTP status: partial data stays a 200. */
export function toGraphQLError(err: GatewayError, like?: GraphQLError): GraphQLError {
  return new GraphQLError(err.message, {
    ...placeOf(like),
    extensions: {
      code: err.code,
      ...(err.service ? { service: err.service } : {}),
      ...(err.retryAfterSeconds !== undefined ? { retryAfter: err.retryAfterSeconds } : {}),
      ...err.details,
    },
  });
}

/**
 * graphql-jit reports a field error's place as `locations` with no AST nodes, and Yoga rebuilds
 * every error from `nodes` or `source` + `positions` when it serializes, which would drop them.
 * A blank source of the right shape turns the locations back into positions that give the same
 * line and column, so clients see the same `locations` with or without the JIT.
 */
function placeOf(like: GraphQLError | undefined) {
  const located = like && !like.nodes && like.locations?.length ? sourceAt(like.locations) : undefined;
  return {
    nodes: like?.nodes,
    source: like?.source ?? located?.source,
    positions: like?.positions ?? located?.positions,
    path: like?.path,
  };
}

function sourceAt(locations: readonly SourceLocation[]): { source: Source; positions: number[] } {
  const width = Math.max(...locations.map((l) => l.column));
  const lines = Math.max(...locations.map((l) => l.line));
  return {
    source: new Source(`${' '.repeat(width)}\n`.repeat(lines)),
    positions: locations.map((l) => (l.line - 1) * (width + 1) + (l.column - 1)),
  };
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
