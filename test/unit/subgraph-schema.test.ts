import { readFileSync } from 'node:fs';
import { composeServices } from '@theguild/federation-composition';
import { isUnionType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema, getSubgraphSchema, printGatewaySchema, printSubgraphSchemaSdl } from '../../src/schema/index.js';

const checkedIn = readFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8');

describe('schema/subgraph.graphql (GRAPHQL_FEDERATION)', () => {
  it('is printed from the code: run `npm run schema:print` when this fails', () => {
    expect(checkedIn, 'schema/subgraph.graphql is stale: run `npm run schema:print` and commit it').toBe(printSubgraphSchemaSdl());
  });

  it('declares a Federation v2 subgraph with User and Industry keyed by id', () => {
    expect(checkedIn).toMatch(/^extend schema\s+@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+", import: \["@key"\]\)/);
    expect(checkedIn).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(checkedIn).toMatch(/type Industry\s+@key\(fields: "id"\)/);
  });

  it('the subgraph schema adds _service and _entities over exactly the entity types; the plain schema does not', () => {
    const sub = getSubgraphSchema();
    const fields = sub.getQueryType()!.getFields();
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['_service', '_entities']));
    const entity = sub.getType('_Entity');
    expect(
      isUnionType(entity) &&
        entity
          .getTypes()
          .map((t) => t.name)
          .sort(),
    ).toEqual(['Industry', 'User']);

    const plain = getSchema().getQueryType()!.getFields();
    expect(Object.keys(plain).filter((f) => f.startsWith('_'))).toEqual([]);
    expect(getSchema().getType('_Entity')).toBeUndefined();
    // Every field of the plain schema is in the subgraph too (the subgraph only adds).
    for (const name of Object.keys(plain)) expect(fields[name], `Query.${name}`).toBeDefined();
    expect(printGatewaySchema()).not.toContain('@key');
  });

  it('composes (Federation v2, @theguild/federation-composition) on its own and with a subgraph that extends User', () => {
    const alone = composeServices([{ name: 'gateway', typeDefs: parse(checkedIn), url: 'http://127.0.0.1:1/graphql' }]);
    expect(alone.errors?.map((e) => e.message) ?? []).toEqual([]);

    const tickets = /* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
      type User @key(fields: "id") {
        id: ID!
        tickets: [String!]!
      }
      type Query {
        ticketCount: Int!
      }
    `;
    const both = composeServices([
      { name: 'gateway', typeDefs: parse(checkedIn), url: 'http://127.0.0.1:1/graphql' },
      { name: 'tickets', typeDefs: parse(tickets), url: 'http://127.0.0.1:2/graphql' },
    ]);
    expect(both.errors?.map((e) => e.message) ?? []).toEqual([]);
    expect(both.publicSdl).toMatch(/tickets: \[String!\]!/);
  });
});
