import type { Plugin } from 'graphql-yoga';
import type { RequestContext } from '../../context/index.js';

/**
 * Adds `extensions.stale`: the response paths served from a stale cache entry because
 * their service failed (stale-if-error), so a client can tell old data from fresh.
 */
export function useStaleExtensions(): Plugin<RequestContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const stale = (args.contextValue as RequestContext).stale;
          if (stale.size === 0 || Symbol.asyncIterator in result) return;
          setResult({ ...result, extensions: { ...result.extensions, stale: [...stale].sort() } });
        },
      };
    },
  };
}
