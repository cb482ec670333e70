import type { GraphQLResolveInfo } from 'graphql';
import { responsePathAsArray } from 'graphql';
import type { RequestContext } from '../context/index.js';
import { GatewayError } from '../errors/index.js';
import type { Fetched } from '../upstreams/index.js';

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

/** Unwraps a loaded value, recording the field as stale when a stale entry stood in. */
export function served<T>(ctx: RequestContext, info: GraphQLResolveInfo, fetched: Fetched<T>): T {
  if (fetched.stale) ctx.stale.add(pathOf(info));
  return fetched.value;
}
