import type { Plugin } from 'graphql-yoga';
import type { RequestContext } from '../../context/index.js';

/**
 * Adds `extensions.stale`: the response paths served from a stale cache entry because
 * their service failed (stale-if-error), so a client can tell old data from fresh. Also adds
 * what resolvers put in the context's `extensions` (`cacheClear`).
 */
export function useStaleExtensions(): Plugin<RequestContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const { stale, extensions } = args.contextValue as RequestContext;
          if ((stale.size === 0 && !extensions) || Symbol.asyncIterator in result) return;
          setResult({
            ...result,
            extensions: { ...result.extensions, ...extensions, ...(stale.size > 0 ? { stale: [...stale].sort() } : {}) },
          });
        },
      };
    },
  };
}
