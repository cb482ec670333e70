import type { GraphQLField } from 'graphql';

/**
 * How many items a list field returns, declared where the field is declared (its Pothos
 * `extensions`) and read by the GraphQL cost limit (`security/graphql-cost.ts`):
 * - `arg` + `default` (+ `max`): the `limit` argument, its default when absent, capped at `max`
 *   (a larger value is refused by the resolver anyway);
 * - `arg` alone, naming a list argument: as many items as that list has (`users(ids:)`);
 * - `estimate`: a declared ceiling for a list with no argument bounding it.
 */
export type ListSize = { arg: string; default?: number; max?: number } | { estimate: number };

export interface FieldCost {
  listSize?: ListSize;
}

/** The `extensions` of a list field: `extensions: listSize({ arg: 'limit', default: 10, max: 100 })`. */
export function listSize(size: ListSize): { cost: FieldCost } {
  return { cost: { listSize: size } };
}

/** The declared cost facts of a schema field, if any. */
export function fieldCost(field: GraphQLField<unknown, unknown>): FieldCost | undefined {
  return (field.extensions as { cost?: FieldCost } | undefined)?.cost;
}

/** How many items a list field returns for these (coerced) arguments; undefined when nothing is declared. */
export function listSizeOf(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number | undefined {
  const size = fieldCost(field)?.listSize;
  if (!size) return undefined;
  if ('estimate' in size) return size.estimate;
  const value = args[size.arg];
  if (Array.isArray(value)) return value.length;
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : (size.default ?? 1);
  return size.max === undefined ? n : Math.min(n, size.max);
}
