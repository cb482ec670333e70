import { Kind, type GraphQLObjectType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestContext } from '../../context/index.js';
import { operationOf } from '../../security/index.js';

/**
 * Whether a root field's whole answer comes from cached upstream reads, so its response can be
 * reused until the first of those reads goes stale: declared on the field
 * (`extensions: { responseCache: true }`). The others (`services`, `stats`, `syncStatus`)
 * describe the gateway's live state and are never reused.
 */
function isCacheableRootField(queryType: GraphQLObjectType | null | undefined, name: string): boolean {
  return name === '__typename' || queryType?.getFields()[name]?.extensions.responseCache === true;
}

/**
 * Decides, per operation, whether the HTTP layer may keep its response (see
 * `ResponseCache`): only a query whose root fields are all declared cacheable ({@link isCacheableRootField}),
 * none of them under a per-field rate limit (`rateLimited('Query.user')`: each call must be
 * counted, and a cache hit never reaches the counter), and whose result has no error. Each
 * field folds the freshness of what it read into the same hint (`served`).
 */
export function useResponseCacheHint(rateLimited: (coordinate: string) => boolean): Plugin<RequestContext> {
  return {
    onExecute({ args }) {
      const hint = (args.contextValue as RequestContext).cacheHint;
      if (!hint) return;
      const operation = operationOf(args);
      const queryType = args.schema.getQueryType();
      const cacheable =
        operation?.operation === 'query' &&
        // Fragments at the root are not followed: such a query is simply not cached.
        operation.selectionSet.selections.every(
          (s) => s.kind === Kind.FIELD && isCacheableRootField(queryType, s.name.value) && !rateLimited(`Query.${s.name.value}`),
        );
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
