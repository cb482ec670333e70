import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
// graphql-js's own field collection (fragments spread, @skip/@include applied): what the
// executor runs is, by definition, what this answers.
import { collectFields } from 'graphql/execution/collectFields.js';

/** One root field as it will execute: under its response key, with its coerced arguments. */
export interface ExecutedRootField {
  /** The alias, or the field name. */
  readonly responseKey: string;
  /** `Mutation.clearCache`, as `RATE_LIMIT_RULES` names it. */
  readonly coordinate: string;
  readonly field: GraphQLField<unknown, unknown>;
  readonly node: FieldNode;
  /** Its argument values (variables and defaults applied); empty when they do not coerce. */
  args(): Record<string, unknown>;
}

export interface ExecutedOperation {
  readonly operation: OperationDefinitionNode;
  readonly rootFields: readonly ExecutedRootField[];
}

// Yoga caches parsed documents, so one document object serves every request of the same query.
const operations = new WeakMap<DocumentNode, Map<string | null, OperationDefinitionNode | null>>();

/**
 * The operation of `document` that `operationName` selects (graphql-js's `getOperationAST`),
 * found once per document and name: every plugin that needs the operation or its kind asks here.
 */
export function operationOf({
  document,
  operationName,
}: {
  document: DocumentNode;
  operationName?: string | null;
}): OperationDefinitionNode | undefined {
  let byName = operations.get(document);
  if (!byName) operations.set(document, (byName = new Map()));
  const name = operationName ?? null;
  let operation = byName.get(name);
  if (operation === undefined) byName.set(name, (operation = getOperationAST(document, operationName) ?? null));
  return operation ?? undefined;
}

// The same args object reaches every plugin's onExecute: collected once per execution.
const collected = new WeakMap<object, ExecutedOperation | null>();

/**
 * The operation an execution runs and the root fields it resolves — not the top-level
 * selection text, in which a field wrapped in a fragment or a skipped one looks different.
 * Undefined when the operation cannot run (unknown operation, variables that do not coerce):
 * execution then fails before any resolver.
 */
export function executedOperation(args: ExecutionArgs): ExecutedOperation | undefined {
  if (collected.has(args)) return collected.get(args) ?? undefined;
  const found = collect(args);
  collected.set(args, found ?? null);
  return found;
}

function collect(args: ExecutionArgs): ExecutedOperation | undefined {
  const operation = operationOf(args);
  if (!operation) return undefined;
  const rootType: GraphQLObjectType | null | undefined = args.schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const coerced = getVariableValues(
    args.schema,
    operation.variableDefinitions ?? [],
    (args.variableValues ?? {}) as Record<string, unknown>,
  );
  if (coerced.errors) return undefined;
  const variables = coerced.coerced;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null) as Record<string, FragmentDefinitionNode>;
  for (const d of args.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const fields = rootType.getFields();
  const rootFields: ExecutedRootField[] = [];
  for (const [responseKey, nodes] of collectFields(args.schema, fragments, variables, rootType, operation.selectionSet)) {
    const node = nodes[0]!;
    const field = fields[node.name.value];
    // __typename (or an unknown field, which validation refused already) resolves nothing.
    if (!field) continue;
    rootFields.push({
      responseKey,
      coordinate: `${rootType.name}.${field.name}`,
      field,
      node,
      args: () => {
        try {
          return getArgumentValues(field, node, variables);
        } catch {
          return {};
        }
      },
    });
  }
  return { operation, rootFields };
}
