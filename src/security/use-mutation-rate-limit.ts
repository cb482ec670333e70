import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/index.js';
import { requestError } from '../errors/index.js';
import { executedOperation } from './executed-root-fields.js';
import { rateLimitHeaders, rateLimitKey, windowText } from './http-rate-limit.js';
import type { Limit, RateLimitDecision, RateLimits } from './rate-limits.js';

interface LimitedContext {
  principal?: Principal | null;
  req?: { ip?: string };
}

function rateLimited(d: RateLimitDecision, message: string): GraphQLError {
  return requestError('RATE_LIMITED', { message, retryAfterSeconds: d.resetSeconds, headers: rateLimitHeaders(d) });
}

/**
 * Counts GraphQL mutations against the stricter mutation limit, and root fields against their
 * `RATE_LIMIT_RULES` entries — the root fields that execute, each alias once, in fragments
 * and under @skip/@include as they run. Runs at execute time, after parsing and validation, so
 * only an operation that would really run is counted, and a refused one reaches no resolver
 * (and so no backend). The general per-request limit is the HTTP layer's.
 */
export function useMutationRateLimit(limits: RateLimits): Plugin<LimitedContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const executed = executedOperation(args);
      if (!executed) return;
      const op = executed.operation;
      const ctx = args.contextValue as LimitedContext;
      const key = rateLimitKey(ctx.principal ?? null, ctx.req?.ip ?? 'unknown');
      const checks: Array<{ limit: Limit; message: (d: RateLimitDecision) => string }> = [];
      if (op.operation === 'mutation') {
        checks.push({
          limit: limits.mutation,
          message: (d) => `Rate limit of ${d.limit} mutations per ${windowText(limits.mutation.windowMs)} reached; retry later.`,
        });
      }
      for (const { coordinate: field } of executed.rootFields) {
        for (const limit of limits.fieldRules(field)) {
          checks.push({
            limit,
            message: (d) => `Rate limit of ${d.limit} calls of ${field} per ${windowText(limit.windowMs)} reached; retry later.`,
          });
        }
      }
      for (const { limit, message } of checks) {
        const d = await limits.consume(limit, key);
        if (!d.allowed) {
          setResultAndStopExecution({ data: null, errors: [rateLimited(d, message(d))] });
          return;
        }
      }
    },
  };
}
