import type { Plugin } from 'graphql-yoga';
import { GatewayError, toGraphQLError } from '../errors/index.js';

/** `gateway.md`: `variables` nested deeper than this many levels is `BAD_USER_INPUT`. */
export const MAX_VARIABLES_DEPTH = 32;

/**
 * Whether objects and arrays in `value` nest more than `max` levels (`value` itself, when it
 * is an object or array, is level 1). Hand-written, and with an explicit stack instead of
 * recursion, because the point is to refuse input that would overflow the call stack of
 * recursive walkers (JSON.stringify, coercion) before any of them sees it.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<{ node: object; depth: number }> = [{ node: value, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (item.depth > max) return true;
    for (const child of Array.isArray(item.node) ? (item.node as unknown[]) : Object.values(item.node)) {
      if (typeof child === 'object' && child !== null) stack.push({ node: child, depth: item.depth + 1 });
    }
  }
  return false;
}

/**
 * The refusal for one operation's GraphQL-over-HTTP parameters, if they nest too deeply:
 * `variables` deeper than `MAX_VARIABLES_DEPTH` is `BAD_USER_INPUT` (the contract's code);
 * anything else in them (`extensions`, unknown members) deeper than that is `BAD_REQUEST`.
 */
export function paramsDepthError(params: unknown): GatewayError | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { variables } = params as { variables?: unknown };
  if (nestedDeeperThan(variables, MAX_VARIABLES_DEPTH)) {
    return new GatewayError('BAD_USER_INPUT', { message: `The variables are nested deeper than ${MAX_VARIABLES_DEPTH} levels.` });
  }
  // The parameters object is one level above its members.
  if (nestedDeeperThan(params, MAX_VARIABLES_DEPTH + 1)) {
    return new GatewayError('BAD_REQUEST', { message: `The request parameters are nested deeper than ${MAX_VARIABLES_DEPTH} levels.` });
  }
  return undefined;
}

/**
 * Bounds the nesting of `variables` (and `extensions`) on Yoga's own path: GET parameters and
 * anything the `/graphql` route hands to Yoga. The route checks a POST body itself before it
 * computes the response-cache key (see `src/http/routes/graphql.ts`), since that runs first.
 */
export function useVariablesDepthLimit(): Plugin<Record<string, unknown>> {
  return {
    onParams({ params }) {
      const refusal = paramsDepthError(params);
      if (refusal) throw toGraphQLError(refusal, { http: true });
    },
  };
}
