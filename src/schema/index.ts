import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './comment.js';
import './nps.js';
import './industry.js';
import './user.js';
import './dashboard.js';
import './sync.js';
import './gateway.js';

let schema: GraphQLSchema | undefined;

/** The executable schema, built once per process. */
export function getSchema(): GraphQLSchema {
  return (schema ??= builder.toSchema());
}

/** The SDL checked in as `schema/schema.graphql`. */
export function printGatewaySchema(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}
