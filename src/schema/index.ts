import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './comment.js';
import './nps.js';
import './industry.js';
import './user.js';
import './dashboard.js';
import './sync.js';
import './gateway.js';
import './events.js';
import { buildSubgraphSchema, printSubgraphSdl } from './federation.js';

let schema: GraphQLSchema | undefined;
let subgraph: GraphQLSchema | undefined;

/** The executable schema, built once per process. */
export function getSchema(): GraphQLSchema {
  return (schema ??= builder.toSchema());
}

/** The SDL checked in as `schema/schema.graphql`. */
export function printGatewaySchema(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}

/** The same schema as an Apollo Federation v2 subgraph (`GRAPHQL_FEDERATION=true`), built once per process. */
export function getSubgraphSchema(): GraphQLSchema {
  return (subgraph ??= buildSubgraphSchema());
}

/** The subgraph SDL (`_service { sdl }`) checked in as `schema/subgraph.graphql`. */
export function printSubgraphSchemaSdl(): string {
  return printSubgraphSdl(getSubgraphSchema());
}
