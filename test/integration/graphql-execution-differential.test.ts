import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

/**
 * "Execution follows the GraphQL specification exactly as graphql-js does (variable
 * defaults and coercion included), whatever engine runs it". The oracle is graphql-js's
 * `execute` (a gateway with `GRAPHQL_JIT=false`); the engine under test is the configured one
 * (graphql-jit, the default). Both run the real schema against the real reference backends,
 * and every operation of the corpus must get the same status and body from both.
 *
 * The corpus: hand-picked cases, and operations generated with fast-check (fixed seed, so a
 * failure reproduces) over the schema's query fields with aliases, named and inline fragments,
 * `@skip`/`@include` with literals and variables, `__typename`, field arguments, and variable
 * definitions with and without defaults (nullable and non-null) given missing, null, valid,
 * list-coercible and invalid values, as a user (whose reads of others are FORBIDDEN item
 * errors with paths) or an admin.
 */

type Op = { query: string; variables?: Record<string, unknown>; operationName?: string; role: 'user' | 'admin' };

// ---- generated operations -------------------------------------------------------------------

type VarKind = 'id' | 'ids' | 'limit' | 'flag';
/** Variable definitions per use, valid ones weighted up (a few are invalid on purpose: both engines must refuse them alike). */
const DEFINITIONS: Record<VarKind, string[]> = {
  id: ['ID!', 'ID!', 'ID! = "u1"', 'ID! = "u1"', 'ID = "u2"', 'ID = "u1"', 'ID! = "u3"', 'ID = "u1"', 'ID! = 7'],
  ids: ['[ID!]!', '[ID!]! = ["u1", "u2"]', '[ID!] = ["u1"]', '[ID!]! = "u1"', '[ID!]! = ["u1", "u404"]', '[ID!]!', '[ID]!'],
  limit: ['Int', 'Int = 2', 'Int! = 3', 'Int = null', 'Int!', 'Int = 1'],
  flag: ['Boolean!', 'Boolean! = true', 'Boolean! = false', 'Boolean = false', 'Boolean = true', 'Boolean!', 'Boolean! = true'],
};
const OMIT = Symbol('omit');
/** Values per use: usually one that coerces (or is left out, or null), sometimes one that does not. */
const VALUES: Record<VarKind, { valid: unknown[]; invalid: unknown[] }> = {
  id: { valid: [OMIT, OMIT, 'u1', 'u1', 'u2', 'u3', 'nope', 7, null], invalid: [1.5, true, { x: 1 }, ['u1']] },
  ids: { valid: [OMIT, ['u1', 'u2'], ['u2', 'u1', 'u404'], 'u1', [], null], invalid: [['u1', null], ['u1', 3], [['u1']], {}] },
  limit: { valid: [OMIT, OMIT, 2, 0, 1, 101, -1, null], invalid: [1.5, '3', 2147483648] },
  flag: { valid: [OMIT, true, false, true, false, null], invalid: ['true', 1] },
};

type G = fc.GeneratorValue;
interface Ctx {
  g: G;
  /** Variables used so far, by name, with the kind of position each is used in. */
  vars: Map<string, VarKind>;
  fragments: Map<string, string>;
  aliases: number;
}

// Unbiased: fast-check's default bias towards small values would skew every choice below.
const uniform = (max: number) => fc.noBias(fc.integer({ min: 0, max }));
const int = (c: Ctx, max: number) => c.g(uniform, max);
const pick = <T>(c: Ctx, xs: readonly T[]): T => xs[int(c, xs.length - 1)]!;
const chance = (c: Ctx, percent: number) => int(c, 99) < percent;

function useVar(c: Ctx, kind: VarKind, names: readonly string[]): string {
  const name = pick(c, names);
  c.vars.set(name, kind);
  return `$${name}`;
}

/** A field (`name(args) { sub }`) with, sometimes, an alias and a `@skip`/`@include`. */
function field(c: Ctx, [head, sub]: Field, aliased = false): string {
  const alias = aliased || chance(c, 20) ? `${pick(c, ['a', 'b', 'x'])}${c.aliases++}: ` : '';
  return `${alias}${head}${directive(c, 20)}${sub === undefined ? '' : ` { ${sub} }`}`;
}
type Field = [head: string, sub?: string];

function directive(c: Ctx, percent: number): string {
  if (!chance(c, percent)) return '';
  const condition = chance(c, 60) ? useVar(c, 'flag', ['flag', 'show']) : pick(c, ['true', 'false']);
  return ` @${pick(c, ['skip', 'include'])}(if: ${condition})`;
}

function limitArg(c: Ctx): string {
  const n = int(c, 9);
  if (n < 4) return '';
  if (n < 7) return `(limit: ${useVar(c, 'limit', ['limit', 'n'])})`;
  return `(limit: ${pick(c, ['2', '0', '-1', '101'])})`;
}

/** 1–4 selections of `type`, some wrapped in inline fragments or named fragment spreads. */
function selection(c: Ctx, type: 'User' | 'Industry' | 'Job' | 'Comment' | 'UserDashboard', depth: number): string {
  const options: Record<typeof type, Array<() => Field>> = {
    User: [
      () => ['id'],
      () => ['name'],
      () => ['email'],
      () => ['role'],
      () => ['__typename'],
      () => [`industry`, selection(c, 'Industry', depth + 1)],
      () => [`comments${limitArg(c)}`, selection(c, 'Comment', depth + 1)],
      () => ['nps', 'score respondedAt'],
      () => [`recentJobs${limitArg(c)}`, selection(c, 'Job', depth + 1)],
    ],
    Industry: [
      () => ['id'],
      () => ['name'],
      () => ['sector'],
      () => ['__typename'],
      () => [`recentJobs${limitArg(c)}`, selection(c, 'Job', depth + 1)],
    ],
    Job: [
      () => ['id'],
      () => ['title'],
      () => ['company'],
      () => ['postedAt'],
      () => ['__typename'],
      () => [`industry`, selection(c, 'Industry', depth + 1)],
    ],
    Comment: [() => ['id'], () => ['body'], () => ['createdAt'], () => ['__typename']],
    UserDashboard: [
      () => [`user`, selection(c, 'User', depth + 1)],
      () => [`industry`, selection(c, 'Industry', depth + 1)],
      () => [`recentJobs`, selection(c, 'Job', depth + 1)],
      () => [`comments`, selection(c, 'Comment', depth + 1)],
      () => ['nps', 'score'],
      () => ['degraded'],
      () => ['__typename'], // not generatedAt: it differs per request
    ],
  };
  // Deep enough to matter, shallow enough for the depth and cost limits.
  const usable = depth >= 3 ? options[type].filter((f) => !f.toString().includes('selection')) : options[type];
  const count = 1 + int(c, Math.min(3, usable.length - 1));
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(field(c, pick(c, usable)()));
  const body = parts.join(' ');
  const wrap = int(c, 9);
  if (wrap === 0) return `... on ${type}${directive(c, 50)} { ${body} }`;
  if (wrap === 1) return `...${directive(c, 100)} { ${body} }`;
  if (wrap === 2 && type !== 'UserDashboard') {
    const name = `F${type}${c.fragments.size}`;
    c.fragments.set(name, `fragment ${name} on ${type} { ${body} }`);
    return `...${name}${directive(c, 30)}`;
  }
  return body;
}

function rootField(c: Ctx, aliased: boolean): string {
  const id = () => (chance(c, 55) ? useVar(c, 'id', ['id', 'uid']) : JSON.stringify(pick(c, ['u1', 'u2', 'u3', 'nope'])));
  switch (int(c, 6)) {
    case 0:
    case 1:
      return field(c, [`user(id: ${id()})`, selection(c, 'User', 1)], aliased);
    case 2:
      return field(c, [`userDashboard(userId: ${id()})`, selection(c, 'UserDashboard', 1)], aliased);
    case 3: {
      const ids = chance(c, 60) ? useVar(c, 'ids', ['ids']) : pick(c, ['["u1", "u404"]', '["u2", "u1"]', '"u1"', '[]']);
      return field(c, [`users(ids: ${ids})`, selection(c, 'User', 1)], aliased);
    }
    case 4:
      return field(c, ['industries', selection(c, 'Industry', 1)], aliased);
    case 5:
      return field(c, ['syncStatus', 'status enabled __typename'], aliased);
    default:
      return field(c, ['__typename'], aliased);
  }
}

const generated = fc.gen().map((g): Op => {
  const c: Ctx = { g, vars: new Map(), fragments: new Map(), aliases: 0 };
  // Each root field after the first under its own alias: the same field twice with other arguments is a validation error.
  const roots = Array.from({ length: 1 + int(c, 2) }, (_, i) => rootField(c, i > 0)).join(' ');
  const definitions = [...c.vars].map(([name, kind]) => `$${name}: ${pick(c, DEFINITIONS[kind])}`);
  const name = chance(c, 50) ? ` Q${int(c, 9)}` : '';
  const head = definitions.length > 0 || name ? `query${name}${definitions.length ? `(${definitions.join(', ')})` : ''} ` : '';
  const query = [`${head}{ ${roots} }`, ...c.fragments.values()].join('\n');
  const variables: Record<string, unknown> = {};
  for (const [varName, kind] of c.vars) {
    const value = pick(c, chance(c, 12) ? VALUES[kind].invalid : VALUES[kind].valid);
    if (value !== OMIT) variables[varName] = value;
  }
  if (chance(c, 10)) variables.unused = 'ignored';
  const sendVariables = Object.keys(variables).length > 0 || chance(c, 50);
  return { query, ...(sendVariables ? { variables } : {}), role: chance(c, 60) ? 'user' : 'admin' };
});

// ---- hand-picked operations -----------------------------------------------------------------

const DASHBOARD = 'query Dashboard($userId: ID! = "u1") { userDashboard(userId: $userId) { user { id name } degraded } }';
const HAND_PICKED: Op[] = [
  // The GraphiQL example: a non-null variable's default, with no variables at all, empty, null, and given.
  { query: DASHBOARD, role: 'user' },
  { query: DASHBOARD, variables: {}, role: 'user' },
  { query: DASHBOARD, variables: { userId: null }, role: 'user' },
  { query: DASHBOARD, variables: { userId: 'u3' }, role: 'user' },
  { query: 'query ($id: ID! = "u1") { user(id: $id) { id name } }', role: 'admin' },
  { query: 'query ($id: ID = "u1") { user(id: $id) { id } }', variables: { id: null }, role: 'admin' },
  { query: 'query ($id: ID = "u1") { user(id: $id) { id } }', role: 'admin' },
  { query: 'query ($id: ID!) { user(id: $id) { id } }', role: 'admin' },
  { query: 'query ($id: ID!) { user(id: $id) { id } }', variables: { id: { no: 1 } }, role: 'admin' },
  { query: 'query ($id: ID!) { user(id: $id) { id } }', variables: { id: 42 }, role: 'admin' },
  // Lists: a single value coerced to a list, nulls in non-null lists, defaults of lists.
  { query: 'query ($ids: [ID!]!) { users(ids: $ids) { id name } }', variables: { ids: 'u1' }, role: 'admin' },
  { query: 'query ($ids: [ID!]!) { users(ids: $ids) { id name } }', variables: { ids: ['u1', null] }, role: 'admin' },
  { query: 'query ($ids: [ID!]! = ["u2", "u1"]) { users(ids: $ids) { id } }', role: 'admin' },
  { query: 'query ($ids: [ID!]!) { users(ids: $ids) { id } }', variables: { ids: ['u1', 'u2', 'u404', 'u10'] }, role: 'user' },
  { query: '{ users(ids: "u2") { id } }', role: 'admin' },
  // Int coercion and argument errors.
  { query: 'query ($n: Int) { user(id: "u1") { comments(limit: $n) { id } } }', variables: { n: 1.5 }, role: 'admin' },
  { query: 'query ($n: Int) { user(id: "u1") { comments(limit: $n) { id } } }', variables: { n: 2147483648 }, role: 'admin' },
  { query: 'query ($n: Int) { user(id: "u1") { comments(limit: $n) { id } } }', variables: { n: null }, role: 'admin' },
  { query: 'query ($n: Int = 1) { user(id: "u1") { comments(limit: $n) { id } } }', variables: { n: null }, role: 'admin' },
  { query: 'query ($n: Int! = 1) { user(id: "u1") { comments(limit: $n) { id } } }', role: 'admin' },
  { query: '{ user(id: "u1") { comments(limit: 101) { id } } }', role: 'admin' },
  // @skip/@include with variables, both at once, on fragments.
  {
    query: 'query ($s: Boolean!) { user(id: "u1") { id name @skip(if: $s) email @include(if: $s) } }',
    variables: { s: true },
    role: 'admin',
  },
  { query: 'query ($s: Boolean!) { user(id: "u1") { id name @skip(if: $s) @include(if: $s) } }', variables: { s: false }, role: 'admin' },
  {
    query:
      'query ($s: Boolean! = true) { user(id: "u1") { ... on User @include(if: $s) { name } ...F @skip(if: $s) } } fragment F on User { email }',
    role: 'admin',
  },
  { query: 'query ($s: Boolean) { user(id: "u1") { name @include(if: $s) } }', role: 'admin' },
  { query: 'query ($s: Boolean!) { user(id: "u1") { name @include(if: $s) } }', variables: { s: 'yes' }, role: 'admin' },
  // Aliases, merged fields, __typename, errors with paths (FORBIDDEN, NOT_FOUND) in lists and aliases.
  { query: '{ a: user(id: "u1") { id n: name } b: user(id: "u3") { id } c: user(id: "nope") { id } __typename }', role: 'user' },
  { query: '{ user(id: "u1") { id id ...on User { id name } } }', role: 'admin' },
  { query: '{ users(ids: ["u1", "u3", "nope"]) { __typename id industry { __typename name } } }', role: 'user' },
  { query: '{ x: userDashboard(userId: "u3") { user { id } } y: userDashboard(userId: "u1") { user { name } } }', role: 'user' },
  // Operation selection.
  { query: 'query A { __typename } query B { industries { id } }', operationName: 'B', role: 'admin' },
  { query: 'query A { __typename } query B { industries { id } }', operationName: 'C', role: 'admin' },
  { query: 'query A { __typename } query B { industries { id } }', role: 'admin' },
];

// ---- the comparison -------------------------------------------------------------------------

describe('graphql-jit answers every operation as graphql-js does', () => {
  let jit: Stack;
  let oracle: Stack;
  const tokens: Record<Op['role'], string> = { user: '', admin: '' };

  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX: '100000', GRAPHQL_JIT: 'true' };
    [jit, oracle] = await Promise.all([
      startStack({ env, logLevel: 'warn' }),
      startStack({ env: { ...env, GRAPHQL_JIT: 'false' }, logLevel: 'warn' }),
    ]);
    tokens.user = await jit.token('u1');
    tokens.admin = await jit.token('u2', 'admin');
  });
  afterAll(() => Promise.all([jit?.close(), oracle?.close()]));

  const run = async (stack: Stack, op: Op) => {
    const { role, ...body } = op;
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[role]}` },
      body: JSON.stringify(body),
    });
    // Dashboards are assembled per request: their timestamps differ, nothing else may.
    return {
      status: res.status,
      body: JSON.parse((await res.text()).replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"-"')) as Record<string, unknown>,
    };
  };

  const corpus = [...HAND_PICKED, ...fc.sample(generated, { numRuns: 260, seed: 20_260_101 })];

  it('the corpus is large and varied', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    const text = corpus.map((o) => o.query).join('\n');
    for (const feature of ['@skip(if: $', '@include(if: $', '... on', 'fragment ', '__typename', '= "u1"', 'ID!', ': user('])
      expect(text).toContain(feature);
  });

  it('same status and body from graphql-jit and graphql-js for every operation', async () => {
    const kinds = { data: 0, fieldErrors: 0, requestErrors: 0, validationErrors: 0 };
    const mismatches: string[] = [];
    for (const op of corpus) {
      const [actual, expected] = await Promise.all([run(jit, op), run(oracle, op)]);
      // Member order is no part of JSON's meaning (graphql-jit puts `data` before `errors`).
      if (!isDeepStrictEqual(actual, expected)) {
        mismatches.push(`${JSON.stringify(op)}\n  graphql-jit: ${JSON.stringify(actual)}\n  graphql-js:  ${JSON.stringify(expected)}`);
      }
      const errors = (expected.body.errors ?? []) as Array<{ extensions?: { code?: string } }>;
      if (errors.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')) kinds.validationErrors++;
      else if (!('data' in expected.body)) kinds.requestErrors++;
      else if (errors.length > 0) kinds.fieldErrors++;
      else kinds.data++;
    }
    expect(mismatches, mismatches.slice(0, 5).join('\n\n')).toEqual([]);
    // The corpus reaches every outcome, not only refusals.
    expect(kinds.data).toBeGreaterThanOrEqual(60);
    expect(kinds.fieldErrors).toBeGreaterThanOrEqual(20);
    expect(kinds.requestErrors).toBeGreaterThanOrEqual(20);
  }, 180_000);

  it('a variable coercion error is BAD_USER_INPUT on both engines', async () => {
    for (const stack of [jit, oracle]) {
      const { body } = await run(stack, {
        query: 'query ($id: ID!) { user(id: $id) { id } }',
        variables: { id: { no: 1 } },
        role: 'admin',
      });
      expect(body).toEqual({
        errors: [
          {
            message: 'Variable "$id" got invalid value { no: 1 }; ID cannot represent value: { no: 1 }',
            locations: [{ line: 1, column: 8 }],
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      });
    }
  });
});
