import { printSubgraphSchema } from '@apollo/subgraph';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { assertAuthenticated, canReadUser } from '../auth/index.js';
import type { RequestContext } from '../context/index.js';
import { GatewayError, errorMessages } from '../errors/index.js';
import { builder } from './builder.js';
import { served } from './field-helpers.js';
import { IndustryRef } from './industry.js';
import { UserRef } from './user.js';

/*
 * Apollo Federation v2 (`gateway.md`, "Federation subgraph"): User and Industry are entities keyed
 * by `id`. Their references resolve through the request's loaders, so the N references of one
 * `_entities` call are batched exactly like `users(ids:)` (one backend call per 100 ids).
 * The entity declarations only add `@key` and a reference resolver to the types: the plain
 * schema (`getSchema()`, schema/schema.graphql) prints as before.
 */

/** The entity types, as a router names them in `representations[].__typename`. */
export const ENTITY_TYPES: ReadonlySet<string> = new Set(['User', 'Industry']);

builder.asEntity(UserRef, {
  key: builder.selection<{ id: string }>('id'),
  // The data rule of users(ids:): another user's reference is null with FORBIDDEN, an unknown id is null.
  // Async, so a refusal rejects this one entry (null + error) and not the whole `_entities` list.
  resolveReference: async ({ id }, ctx, info) => {
    const userId = String(id);
    if (!canReadUser(ctx.principal, userId)) throw new GatewayError('FORBIDDEN', { message: errorMessages.notYourUser(userId) });
    const user = served(ctx, info, await ctx.loaders.user.load(userId));
    // A copy: @apollo/subgraph tags the returned object with `__typename`, and a cached entry is shared.
    return user ? { ...user } : null;
  },
});

builder.asEntity(IndustryRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async ({ id }, ctx, info) => {
    const industry = served(ctx, info, await ctx.loaders.industry.load(String(id)));
    return industry ? { ...industry } : null;
  },
});

/**
 * Checks one `_entities` call before anything is loaded: a principal (like every other data
 * field), at most GRAPHQL_MAX_IDS representations (as users(ids:)), and each one a
 * `{ __typename, id }` of an entity type. @apollo/subgraph would otherwise throw an uncoded
 * error on an unknown type and pass a missing id on to the loaders.
 */
function checkRepresentations(representations: unknown, ctx: RequestContext): void {
  assertAuthenticated(ctx.principal);
  const list = Array.isArray(representations) ? representations : [];
  const { maxIds } = ctx.services.config.graphql;
  const bad = (message: string) => new GatewayError('BAD_USER_INPUT', { message, details: { argument: 'representations' } });
  if (list.length > maxIds) throw bad(`At most ${maxIds} representations per _entities call (${list.length} given).`);
  list.forEach((rep: unknown, i) => {
    const r = (typeof rep === 'object' && rep !== null ? rep : {}) as { __typename?: unknown; id?: unknown };
    if (typeof r.__typename !== 'string' || !ENTITY_TYPES.has(r.__typename)) {
      throw bad(`representations[${i}].__typename must be one of ${[...ENTITY_TYPES].join(', ')}.`);
    }
    if (!((typeof r.id === 'string' && r.id !== '') || Number.isInteger(r.id))) throw bad(`representations[${i}].id must be a non-empty ID.`);
  });
}

/**
 * The subgraph schema: the gateway's schema plus `_service { sdl }` and `_entities`.
 * The plugin's two root fields come from @apollo/subgraph without Pothos auth scopes, so their
 * resolvers are wrapped here, on the schema just built for this process (nothing else holds it).
 */
export function buildSubgraphSchema(): GraphQLSchema {
  const schema = builder.toSubGraphSchema({});
  const fields = schema.getQueryType()?.getFields() ?? {};
  const guard = (name: string, check: (args: Record<string, unknown>, ctx: RequestContext) => void) => {
    const field = fields[name];
    if (!field) throw new Error(`the federation plugin did not add Query.${name}`);
    const inner: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args: Record<string, unknown>, ctx: RequestContext, info) => {
      check(args, ctx);
      return inner(source, args, ctx, info);
    };
  };
  guard('_service', (_args, ctx) => assertAuthenticated(ctx.principal));
  guard('_entities', (args, ctx) => checkRepresentations(args.representations, ctx));
  return schema;
}

/** The SDL a router reads from `_service { sdl }`; checked in as schema/subgraph.graphql. */
export function printSubgraphSdl(schema: GraphQLSchema): string {
  return `${printSubgraphSchema(schema)}\n`;
}
