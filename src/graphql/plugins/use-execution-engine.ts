import { useGraphQlJit } from '@envelop/graphql-jit';
import { getVariableValues, type GraphQLError, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { recode } from '../../errors/index.js';
import { operationOf } from '../../security/index.js';

/**
 * The execution engine, following the GraphQL specification as graphql-js does whatever runs
 * the operation (`gateway.md`):
 * - Variables are coerced with graphql-js's own `getVariableValues` (what `execute` does
 *   first). A coercion error is answered here, coded `BAD_USER_INPUT` (as Apollo does; graphql-js
 *   gives these errors no code).
 * - With `jit` (`GRAPHQL_JIT`), graphql-jit runs the operation with the coerced values: its own
 *   coercion ignored the default of a non-null variable (`$id: ID! = "u1"` without a value was
 *   "not provided"). It coerces the values it gets once more, which leaves them as they are:
 *   the schema's inputs are built-in scalars and lists of them, whose coercion is idempotent.
 * - graphql-jit gets one case wrong even so: an explicit `null` for a variable with a default,
 *   used where null is not allowed (validation lets a defaulted variable stand there). graphql-js
 *   makes that a field error; graphql-jit dropped the error's location, and skipped a field for
 *   `@skip(if: null)`. Such an operation runs on graphql-js; it is rare, the hot path keeps the JIT.
 *   The resulting argument error is coded `BAD_USER_INPUT` too.
 * `test/integration/graphql-execution-differential.test.ts` compares the engines on a corpus.
 * Operations without variable definitions (most of the hot path) cost one cached `operationOf`.
 */
export function useExecutionEngine({ jit, logger }: { jit: boolean; logger: Logger }): Array<Plugin<Record<string, unknown>>> {
  const onGraphqlJs = new WeakSet<ExecutionArgs>();
  const coercion: Plugin<Record<string, unknown>> = {
    onExecute({ args, setResultAndStopExecution }) {
      const definitions = operationOf(args)?.variableDefinitions;
      if (!definitions?.length) return;
      const { coerced, errors } = getVariableValues(args.schema, definitions, args.variableValues ?? {}, { maxErrors: 50 });
      if (errors) {
        setResultAndStopExecution({ errors: errors.map(asUserInputError) });
        return;
      }
      if (jit) args.variableValues = coerced;
      if (!definitions.some((d) => d.defaultValue && coerced[d.variable.name.value] === null)) return;
      onGraphqlJs.add(args);
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors) return;
          setResult({ ...result, errors: result.errors.map((e) => (isArgumentError(e) ? asUserInputError(e) : e)) });
        },
      };
    },
  };
  if (!jit) return [coercion];
  return [
    coercion,
    // Each operation is compiled once (cached per document), then runs without graphql-js's
    // per-field resolution walk. A compile failure is answered as its errors; logged here
    // instead of the plugin's default console.error.
    useGraphQlJit(
      {},
      {
        // Subscriptions stay on graphql-js's own subscribe (yoga's path): the JIT only runs queries and mutations.
        enableIf: (args) => !onGraphqlJs.has(args) && operationOf(args)?.operation !== 'subscription',
        onError: (result) => logger.warn({ errors: result.errors }, 'graphql-jit could not compile an operation'),
      },
    ) as Plugin<Record<string, unknown>>,
  ];
}

/**
 * graphql-js's own error for a bad argument value at execution ("Argument "id" of non-null type
 * "ID!" must not be null."), as the executor located it (wrapping the original, itself a
 * GraphQLError of no cause); not a resolver's error that happens to read alike.
 */
function isArgumentError(error: GraphQLError): boolean {
  const original = error.originalError ?? error;
  return (
    !error.extensions.code &&
    original.name === 'GraphQLError' &&
    !(original as GraphQLError).originalError &&
    error.message.startsWith('Argument "')
  );
}

/** The same error, coded; without its `originalError`, which a scalar may have thrown as a plain Error. */
function asUserInputError(error: GraphQLError): GraphQLError {
  return recode(error, 'BAD_USER_INPUT');
}
