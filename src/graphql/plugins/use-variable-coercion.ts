import { getOperationAST, getVariableValues, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Coerces an operation's variables with graphql-js's own `getVariableValues` (what `execute`
 * does first), whatever engine then runs it:
 * - a coercion error is answered here, coded `BAD_USER_INPUT` (as Apollo does): graphql-js
 *   gives these errors no code;
 * - with `handOverCoerced` (graphql-jit), the engine gets the coerced values. graphql-jit's
 *   own coercion ignores the default of a non-null variable (`$id: ID! = "u1"` without a
 *   value was "not provided"). It still coerces the values it gets again, which leaves them
 *   as they are: the schema's inputs are built-in scalars and lists of them, whose coercion
 *   is idempotent. `test/integration/graphql-execution-differential.test.ts` compares the
 *   engines on a corpus of operations.
 * Operations without variable definitions (most of the hot path) cost one `getOperationAST`.
 */
export function useVariableCoercion({ handOverCoerced }: { handOverCoerced: boolean }): Plugin<Record<string, unknown>> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const definitions = getOperationAST(args.document, args.operationName)?.variableDefinitions;
      if (!definitions?.length) return;
      const coercion = getVariableValues(args.schema, definitions, args.variableValues ?? {}, { maxErrors: 50 });
      if (coercion.errors) {
        setResultAndStopExecution({ errors: coercion.errors.map(asUserInputError) });
        return;
      }
      if (handOverCoerced) args.variableValues = coercion.coerced;
    },
  };
}

/** The same error, coded; without its `originalError`, which a scalar may have thrown as a plain Error. */
function asUserInputError(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}
