import { getOperationAST, GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import { listSizeOf } from '../schema/cost.js';

/**
 * Every field costs 1 plus what it selects; a list field costs 1 plus its size times the cost
 * of one item (at least 1), the size as its declaration says (`schema/cost.ts`: the `limit`,
 * the number of `ids`, or an estimate). Introspection is governed by GRAPHQL_INTROSPECTION
 * and costs nothing here.
 */
const estimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.name.startsWith('__')) return 0;
  const size = listSizeOf(field, args);
  return size === undefined ? 1 + childComplexity : 1 + size * Math.max(1, childComplexity);
};

/** The cost of the operation `operationName` of `document` with these (raw) variables. */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables?: Record<string, unknown> | null, operationName?: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  return getComplexity({
    schema,
    // Only the operation that runs: the library sums every operation it is not told to skip.
    query: { ...document, definitions: document.definitions.filter((d) => d.kind !== operation.kind || d === operation) },
    variables: variables ?? {},
    estimators: [estimator],
  });
}

function costError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/**
 * The cost limit (`GRAPHQL_MAX_COST`). graphql-query-complexity walks the operation as it will
 * run (fragments spread, `@skip`/`@include` applied, variables coerced); the estimator above
 * multiplies by list sizes, which graphql-armor's cost limit does not. Checked when execution
 * starts rather than in validation: the cost depends on the variables (`ids`, `limit`), and
 * Yoga caches validation per document. A refused operation runs no resolver, so reaches no backend.
 */
export function useCostLimit(maxCost: number): Plugin<Record<string, unknown>> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      let cost: number;
      try {
        cost = queryCost(args.schema, args.document, args.variableValues, args.operationName);
      } catch (err) {
        // Too many nodes to walk (fragments spreading fragments): refused as over the limit.
        if (err instanceof GraphQLError && /maximum allowed number of nodes/.test(err.message)) {
          setResultAndStopExecution({ errors: [costError(`The operation is too large to run (query cost limit ${maxCost}).`)] });
        }
        // Anything else (variables that do not coerce) execution reports itself, running no resolver.
        return;
      }
      if (cost > maxCost) {
        setResultAndStopExecution({
          errors: [
            costError(
              `The operation's query cost of ${cost} is over the limit of ${maxCost}: a list multiplies the cost of its items by its size (its limit, the number of ids, or an estimate). Ask for fewer items or fields.`,
            ),
          ],
        });
      }
    },
  };
}
