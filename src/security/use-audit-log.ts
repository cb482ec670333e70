import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/index.js';
import { audit, auditTarget, type AuditOutcome, type AuditSource } from './audit.js';
import { executedOperation, type ExecutedRootField } from './executed-root-fields.js';

const REFUSALS = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED']);

interface AuditedContext {
  principal?: Principal | null;
  requestId?: string;
  log?: AuditSource['log'];
}

/** The admin action a root field is: `extensions: { adminAction }` where the field is declared. */
export function adminActionOf(f: ExecutedRootField): string | undefined {
  const marked = (f.field.extensions as { adminAction?: unknown } | undefined)?.adminAction;
  return typeof marked === 'string' ? marked : undefined;
}

function outcomeOf(errors: readonly GraphQLError[] | undefined, responseKey: string): AuditOutcome {
  const mine = errors?.filter((e) => e.path === undefined || e.path[0] === responseKey) ?? [];
  if (mine.length === 0) return 'success';
  // Errors may not be masked yet here: the code is on the GatewayError inside.
  const codeOf = (e: GraphQLError) => e.extensions?.code ?? (e.originalError as { code?: unknown } | undefined)?.code;
  return mine.every((e) => REFUSALS.has(String(codeOf(e)))) ? 'refused' : 'failed';
}

/**
 * One audit line per admin action that executes (fields marked `extensions: { adminAction }`,
 * each aliased, in a fragment or under @include alike) once its result is known, whether it
 * ran, was refused or failed. Must come before the rate limit plugin so a rate-limited admin
 * mutation is audited too.
 */
export function useAuditLog(): Plugin<AuditedContext> {
  return {
    onExecute({ args }) {
      const fields = executedOperation(args)?.rootFields.flatMap((f) => {
        const action = adminActionOf(f);
        return action ? [{ f, action }] : [];
      });
      if (!fields?.length) return undefined;
      const ctx = args.contextValue as AuditedContext;
      return {
        onExecuteDone({ result }) {
          if (!ctx.log || !ctx.requestId) return;
          // Streams (defer/stream) are not used by mutations here; audit the single result only.
          if (Symbol.asyncIterator in result) return;
          const source: AuditSource = { principal: ctx.principal ?? null, requestId: ctx.requestId, log: ctx.log };
          for (const { f, action } of fields) {
            audit(source, action, outcomeOf(result.errors, f.responseKey), { via: 'graphql', ...auditTarget(f.args().service) });
          }
        },
      };
    },
  };
}
