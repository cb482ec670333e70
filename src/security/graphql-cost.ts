import { GraphQLError, isObjectType, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import { requestError } from '../errors/index.js';
import { fieldCost, listSizeOf } from '../schema/cost.js';
import { operationOf } from './executed-root-fields.js';

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
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
): number {
  const operation = operationOf({ document, operationName });
  if (!operation) return 0;
  return getComplexity({
    schema,
    // Only the operation that runs: the library sums every operation it is not told to skip.
    query: { ...document, definitions: document.definitions.filter((d) => d.kind !== operation.kind || d === operation) },
    variables: variables ?? {},
    estimators: [estimator],
  });
}

/** The argument names any list field sizes itself by (`limit`, `ids`). */
const sizeArgsOf = new WeakMap<GraphQLSchema, ReadonlySet<string>>();
function sizeArgs(schema: GraphQLSchema): ReadonlySet<string> {
  let names = sizeArgsOf.get(schema);
  if (!names) {
    const found = new Set<string>();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const size = fieldCost(field)?.listSize;
        if (size && 'arg' in size) found.add(size.arg);
      }
    }
    sizeArgsOf.set(schema, (names = found));
  }
  return names;
}

/**
 * The variables a document's cost can depend on: those inside a size argument or a
 * @skip/@include. The others (`$userId`) do not change the cost, so it is computed once for
 * them all.
 */
function costVariables(schema: GraphQLSchema, document: DocumentNode): string[] {
  const names = new Set<string>();
  const argNames = sizeArgs(schema);
  let depth = 0;
  visit(document, {
    Argument: {
      enter(node) {
        if (argNames.has(node.name.value)) depth++;
      },
      leave(node) {
        if (argNames.has(node.name.value)) depth--;
      },
    },
    Directive: {
      enter(node) {
        if (node.name.value === 'skip' || node.name.value === 'include') depth++;
      },
      leave(node) {
        if (node.name.value === 'skip' || node.name.value === 'include') depth--;
      },
    },
    Variable(node) {
      if (depth > 0) names.add(node.name.value);
    },
  });
  return [...names].sort();
}

interface DocumentCosts {
  variables: string[];
  costs: Map<string, number>;
}
// Documents come from Yoga's parse cache, one object per distinct query text.
const costsOf = new WeakMap<DocumentNode, DocumentCosts>();
const COSTS_PER_DOCUMENT = 256;

/**
 * {@link queryCost}, remembered per document and the values of the variables it depends on:
 * a walk of the operation with graphql-query-complexity costs ~100 µs or more, on every request.
 */
export function cachedQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): number {
  let entry = costsOf.get(document);
  if (!entry) costsOf.set(document, (entry = { variables: costVariables(schema, document), costs: new Map() }));
  // An absent variable (its default applies) and an explicit null are different keys.
  const key = JSON.stringify([
    operationName ?? null,
    ...entry.variables.map((v) => (variables && Object.hasOwn(variables, v) ? [variables[v]] : [])),
  ]);
  let cost = entry.costs.get(key);
  if (cost === undefined) {
    cost = queryCost(schema, document, variables, operationName);
    if (entry.costs.size >= COSTS_PER_DOCUMENT) entry.costs.clear();
    entry.costs.set(key, cost);
  }
  return cost;
}

function costError(message: string): GraphQLError {
  return requestError('GRAPHQL_VALIDATION_FAILED', { message });
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
        cost = cachedQueryCost(args.schema, args.document, args.variableValues, args.operationName);
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
