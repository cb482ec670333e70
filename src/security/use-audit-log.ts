import { getOperationAST, Kind, type FieldNode, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/index.js';
import { ADMIN_MUTATIONS, audit, type AuditOutcome, type AuditSource } from '../http/audit.js';

const REFUSALS = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED']);

interface AuditedContext {
  principal?: Principal | null;
  requestId?: string;
  log?: AuditSource['log'];
}

function serviceArgument(field: FieldNode, variables: Record<string, unknown> | null | undefined): string | undefined {
  const arg = field.arguments?.find((a) => a.name.value === 'service');
  if (!arg) return undefined;
  const value = arg.value.kind === Kind.VARIABLE ? variables?.[arg.value.name.value] : arg.value.kind === Kind.STRING ? arg.value.value : undefined;
  return typeof value === 'string' ? value.slice(0, 64) : undefined;
}

function outcomeOf(errors: readonly GraphQLError[] | undefined, responseKey: string): AuditOutcome {
  const mine = errors?.filter((e) => e.path === undefined || e.path[0] === responseKey) ?? [];
  if (mine.length === 0) return 'success';
  // Errors may not be masked yet here: the code is on the GatewayError inside.
  const codeOf = (e: GraphQLError) => e.extensions?.code ?? (e.originalError as { code?: unknown } | undefined)?.code;
  return mine.every((e) => REFUSALS.has(String(codeOf(e)))) ? 'refused' : 'failed';
}

/**
 * One audit line per admin mutation (`forceSync`, `resetBreaker`, `clearCache`) once its
 * result is known, whether it ran, was refused or failed. Must come before the rate limit
 * plugin so a rate-limited admin mutation is audited too.
 */
export function useAuditLog(): Plugin<AuditedContext> {
  return {
    onExecute({ args }) {
      const op = getOperationAST(args.document, args.operationName);
      if (op?.operation !== 'mutation') return undefined;
      const fields = op.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && ADMIN_MUTATIONS.has(s.name.value));
      if (fields.length === 0) return undefined;
      const ctx = args.contextValue as AuditedContext;
      return {
        onExecuteDone({ result }) {
          if (!ctx.log || !ctx.requestId) return;
          // Streams (defer/stream) are not used by mutations here; audit the single result only.
          if (Symbol.asyncIterator in result) return;
          const source: AuditSource = { principal: ctx.principal ?? null, requestId: ctx.requestId, log: ctx.log };
          for (const field of fields) {
            const service = serviceArgument(field, args.variableValues);
            audit(source, field.name.value, outcomeOf(result.errors, field.alias?.value ?? field.name.value), {
              via: 'graphql',
              ...(service ? { service } : {}),
            });
          }
        },
      };
    },
  };
}
