import { GraphQLError, Source, type SourceLocation } from 'graphql';
import { type ErrorCode } from './codes.js';
import { GatewayError, type GatewayErrorOptions } from './gateway-error.js';

/*
 * The one way a coded error becomes a GraphQLError (yoga's convention: `extensions.code`, and
 * `extensions.http` for a request-level refusal, which Yoga turns into the response status and
 * headers and strips from the body). Plugins and the HTTP layer build theirs here, from the
 * registry, so code, status, `service`, `retryAfter` and `details` always travel together.
 */

export interface ToGraphQLErrorOptions {
  /** The error it replaces: its place (nodes, locations, path) is kept. */
  like?: GraphQLError;
  /**
   * A request-level refusal (no data): `extensions.http` carries the registry's status, a
   * `retry-after` header when the error has one, and these headers. Field errors carry no
   * HTTP status: partial data stays a 200.
   */
  http?: boolean;
  headers?: Record<string, string>;
}

/** The GraphQL form of a coded gateway error. */
export function toGraphQLError(err: GatewayError, { like, http = false, headers }: ToGraphQLErrorOptions = {}): GraphQLError {
  const allHeaders: Record<string, string> = {
    ...(err.retryAfterSeconds !== undefined ? { 'retry-after': String(err.retryAfterSeconds) } : {}),
    ...headers,
  };
  return new GraphQLError(err.message, {
    ...placeOf(like),
    extensions: {
      code: err.code,
      ...(err.service ? { service: err.service } : {}),
      ...(err.retryAfterSeconds !== undefined ? { retryAfter: err.retryAfterSeconds } : {}),
      ...err.details,
      ...(http ? { http: { status: err.status, ...(Object.keys(allHeaders).length ? { headers: allHeaders } : {}) } } : {}),
    },
  });
}

/** A request-level refusal with `code` (its registry message unless `message` is given). */
export function requestError(code: ErrorCode, options: GatewayErrorOptions & { headers?: Record<string, string> } = {}): GraphQLError {
  const { headers, ...rest } = options;
  return toGraphQLError(new GatewayError(code, rest), { http: true, headers });
}

/**
 * `error` (graphql-js's or a library's, uncoded) with `code`, in the same place. `keepCause`
 * keeps its `originalError`, so an unexpected cause is still masked and logged.
 */
export function recode(
  error: GraphQLError,
  code: ErrorCode,
  { message = error.message, keepCause = false }: { message?: string; keepCause?: boolean } = {},
): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    ...(keepCause ? { originalError: error.originalError } : {}),
    extensions: { ...error.extensions, code },
  });
}

/**
 * graphql-jit reports a field error's place as `locations` with no AST nodes, and Yoga rebuilds
 * every error from `nodes` or `source` + `positions` when it serializes, which would drop them.
 * A blank source of the right shape turns the locations back into positions that give the same
 * line and column, so clients see the same `locations` with or without the JIT.
 */
export function placeOf(like: GraphQLError | undefined) {
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
