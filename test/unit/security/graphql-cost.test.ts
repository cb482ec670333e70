import { readFileSync } from 'node:fs';
import { isListType, isNonNullType, isObjectType, parse, type GraphQLOutputType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { EXAMPLE_QUERY } from '../../../src/graphql/yoga.js';
import { fieldCost } from '../../../src/schema/cost.js';
import { getSchema } from '../../../src/schema/index.js';
import { cachedQueryCost, queryCost } from '../../../src/security/graphql-cost.js';

const schema = getSchema();
const cost = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  queryCost(schema, parse(query), variables, operationName);
const defaultMaxCost = loadConfig(
  {
    NODE_ENV: 'test',
    JWT_SECRET: 'x'.repeat(32),
    AUTH_SERVICE_URL: 'http://a',
    COMMENT_SERVICE_URL: 'http://c',
    INDUSTRY_SERVICE_URL: 'http://i',
    NPS_SERVICE_URL: 'http://n',
  },
  'test',
).graphql.maxCost;

/** 13.1's attack: four levels of recentJobs(limit: 100) under 15 aliases (65.9 MB for a 1.7 KB query). */
const COST_ATTACK = `query { ${Array.from({ length: 15 }, (_, i) => `a${i}: industries { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { id title company postedAt } } } } } } } }`).join(' ')} }`;
const CONTRACT_USERS =
  'query Users($ids: [ID!]!) { users(ids: $ids) { id name industry { name } nps { score } comments(limit: 3) { id } } }';
const MAX_IDS = 500;

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

describe('GraphQL cost limit (13.1)', () => {
  it('every list field declares its size where it is declared', () => {
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (isList(field.type) && !fieldCost(field)?.listSize) undeclared.push(`${type.name}.${field.name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('a list multiplies the cost of its items by its limit, its default limit, or the number of ids', () => {
    expect(cost('{ user(id: "u1") { comments(limit: 100) { id } } }')).toBe(1 + 1 + 100);
    expect(cost('{ user(id: "u1") { comments { id body } } }')).toBe(1 + 1 + 10 * 2);
    expect(cost('query($n: Int) { user(id: "u1") { recentJobs(limit: $n) { id } } }', { n: 40 })).toBe(1 + 1 + 40);
    expect(cost('query($ids: [ID!]!) { users(ids: $ids) { id } }', { ids: ['u1', 'u2', 'u3'] })).toBe(1 + 3);
    expect(cost('{ users(ids: ["u1", "u2"]) { id name } }')).toBe(1 + 2 * 2);
    // A limit over 100 is refused by the resolver: the cost counts the most that could run.
    expect(cost('{ user(id: "u1") { comments(limit: 5000) { id } } }')).toBe(1 + 1 + 100);
  });

  it('fragments (named, inline) and @skip/@include are counted as they run', () => {
    const plain = cost('{ user(id: "u1") { comments(limit: 20) { id } } }');
    expect(cost('{ ...F } fragment F on Query { user(id: "u1") { comments(limit: 20) { id } } }')).toBe(plain);
    expect(cost('{ ... on Query { user(id: "u1") { comments(limit: 20) { id } } } }')).toBe(plain);
    expect(cost('query($v: Boolean!) { user(id: "u1") @include(if: $v) { comments(limit: 20) { id } } }', { v: false })).toBe(0);
    expect(cost('query($v: Boolean!) { user(id: "u1") @include(if: $v) { comments(limit: 20) { id } } }', { v: true })).toBe(plain);
    // Only the operation that runs is counted.
    expect(cost('query A { user(id: "u1") { id } } query B { industries { recentJobs(limit: 100) { id } } }', {}, 'A')).toBe(2);
  });

  it(`the default limit (${defaultMaxCost}) accepts users(ids:) with ${MAX_IDS} ids as the contract asks it, and every dashboard`, () => {
    const ids = Array.from({ length: MAX_IDS }, (_, i) => `u${i + 1}`);
    const users = cost(CONTRACT_USERS, { ids });
    expect(users).toBe(1 + MAX_IDS * (1 + 1 + 2 + 2 + (1 + 3)));
    expect(users).toBeLessThanOrEqual(defaultMaxCost);
    expect(cost(EXAMPLE_QUERY, {})).toBeLessThanOrEqual(defaultMaxCost);
    expect(cost(readFileSync(new URL('../../documents/dashboard.graphql', import.meta.url), 'utf8'), { userId: 'u1' })).toBeLessThanOrEqual(
      defaultMaxCost,
    );
    // The largest dashboard: every field, the user's own lists at their largest.
    const everything = `{ userDashboard(userId: "u1") {
      user { id name email role industry { id name sector recentJobs(limit: 100) { id title company postedAt } } comments(limit: 100) { id body createdAt } nps { score respondedAt } recentJobs(limit: 100) { id title company postedAt } }
      industry { id name sector recentJobs(limit: 100) { id title company postedAt } }
      recentJobs { id title company postedAt industry { id name sector } }
      comments { id body createdAt } nps { score respondedAt } degraded generatedAt } }`;
    expect(cost(everything)).toBeLessThanOrEqual(defaultMaxCost);
  });

  it('the cost remembered per document still follows the variables it depends on', () => {
    const doc = parse(
      'query Q($n: Int = 50, $v: Boolean = true, $userId: ID!) { user(id: $userId) @include(if: $v) { comments(limit: $n) { id } } }',
    );
    const at = (variables: Record<string, unknown>) => cachedQueryCost(schema, doc, variables, 'Q');
    expect(at({ userId: 'u1' })).toBe(1 + 1 + 50);
    expect(at({ userId: 'u2' })).toBe(1 + 1 + 50);
    expect(at({ userId: 'u1', n: null })).toBe(1 + 1 + 10);
    expect(at({ userId: 'u1', n: 100 })).toBe(1 + 1 + 100);
    expect(at({ userId: 'u1', n: 100, v: false })).toBe(0);
    expect(at({ userId: 'u1' })).toBe(1 + 1 + 50);
    const ids = parse('query U($ids: [ID!]!) { users(ids: $ids) { id } }');
    expect(cachedQueryCost(schema, ids, { ids: ['a'] }, undefined)).toBe(2);
    expect(cachedQueryCost(schema, ids, { ids: ['a', 'b', 'c'] }, undefined)).toBe(4);
  });

  it('the default limit refuses the 66 MB attack', () => {
    expect(cost(COST_ATTACK)).toBeGreaterThan(defaultMaxCost);
    expect(cost(COST_ATTACK)).toBeGreaterThan(1e9);
  });
});
