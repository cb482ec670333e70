import { getOperationAST, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestContext } from '../../context/index.js';

/**
 * Root fields whose whole answer comes from cached upstream reads, so their response can be
 * reused until the first of those reads goes stale. The others (`services`, `stats`,
 * `syncStatus`) describe the gateway's live state and are never reused.
 */
const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['userDashboard', 'user', 'users', 'industries', '__typename']);

/**
 * Decides, per operation, whether the HTTP layer may keep its response (see
 * `ResponseCache`): only a query whose root fields are all in {@link CACHEABLE_ROOT_FIELDS},
 * none of them under a per-field rate limit (`rateLimited('Query.user')`: each call must be
 * counted, and a cache hit never reaches the counter), and whose result has no error. Each
 * field folds the freshness of what it read into the same hint (`served`).
 */
export function useResponseCacheHint(rateLimited: (coordinate: string) => boolean): Plugin<RequestContext> {
  return {
    onExecute({ args }) {
      const hint = (args.contextValue as RequestContext).cacheHint;
      if (!hint) return;
      const operation = getOperationAST(args.document, args.operationName);
      const cacheable =
        operation?.operation === 'query' &&
        // Fragments at the root are not followed: such a query is simply not cached.
        operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && CACHEABLE_ROOT_FIELDS.has(s.name.value) && !rateLimited(`Query.${s.name.value}`));
      if (!cacheable) {
        hint.uncacheable();
        return;
      }
      return {
        onExecuteDone({ result }) {
          if (Symbol.asyncIterator in result || result.errors?.length) hint.uncacheable();
        },
      };
    },
  };
}
