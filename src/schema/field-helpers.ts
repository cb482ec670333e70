import type { GraphQLResolveInfo } from 'graphql';
import { responsePathAsArray } from 'graphql';
import type { RequestContext } from '../context/index.js';
import { GatewayError } from '../errors/index.js';
import { valueOf, type Read } from '../upstreams/index.js';

export const MAX_LIST_LIMIT = 100;

/** A `limit` argument: the default when absent, 0..100 otherwise. */
export function listLimit(limit: number | null | undefined, fallback: number): number {
  if (limit === null || limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) {
    throw new GatewayError('BAD_USER_INPUT', { message: `limit must be between 0 and ${MAX_LIST_LIMIT}.`, details: { argument: 'limit' } });
  }
  return limit;
}

/** The response path of a field, as `extensions.stale` names it (`userDashboard.comments`). */
export function pathOf(info: GraphQLResolveInfo): string {
  return responsePathAsArray(info.path).join('.');
}

/**
 * Folds a read into the response (the one place that does): a stale stand-in is named in
 * `extensions.stale`, its freshness bounds how long the whole response may be kept, and the
 * field resolves to the value, or fails with the error when nothing stood in.
 */
export function served<T>(ctx: Pick<RequestContext, 'stale' | 'cacheHint'>, info: GraphQLResolveInfo, read: Read<T>): T {
  if (read.stale) ctx.stale.add(pathOf(info));
  if (read.freshUntil !== undefined) ctx.cacheHint?.freshUntil(read.freshUntil);
  return valueOf(read);
}
