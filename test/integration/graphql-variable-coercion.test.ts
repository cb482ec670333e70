import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphql/yoga.js';
import { startStack, type Stack } from '../support/stack.js';

type Answer = { data?: unknown; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }> };

/**
 * Issues 1 and 11: variables are coerced as graphql-js coerces them (defaults of non-null
 * variables included), and a coercion error is coded BAD_USER_INPUT, on every path: direct
 * execution (a plain JSON POST) and Yoga's (GET, batches, `GRAPHQL_DIRECT_EXECUTION=false`),
 * with graphql-jit and with graphql-js.
 */
describe('variable coercion: graphql-js semantics and BAD_USER_INPUT on every path (issues 1, 11)', () => {
  let fast: Stack; // graphql-jit, direct execution (the defaults)
  let plain: Stack; // graphql-js, Yoga's path only
  let token: string;

  beforeAll(async () => {
    [fast, plain] = await Promise.all([
      startStack({ logLevel: 'warn' }),
      startStack({ env: { GRAPHQL_JIT: 'false', GRAPHQL_DIRECT_EXECUTION: 'false' }, logLevel: 'warn' }),
    ]);
    token = await fast.token('u1');
  });
  afterAll(() => Promise.all([fast?.close(), plain?.close()]));

  /** One operation by every way in: a JSON POST, the same in a batch, and a GET. */
  const everyPath = async (stack: Stack, query: string, variables?: Record<string, unknown>): Promise<Answer[]> => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const post = await fetch(`${stack.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const batch = await fetch(`${stack.url}/graphql`, { method: 'POST', headers, body: JSON.stringify([{ query, variables }]) });
    const params = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
    const get = await fetch(`${stack.url}/graphql?${params.toString()}`, {
      headers: { authorization: `Bearer ${token}`, 'x-graphql-csrf': '1', accept: 'application/json' },
    });
    return [(await post.json()) as Answer, ...((await batch.json()) as Answer[]), (await get.json()) as Answer];
  };

  it('the GraphiQL example query without variables is Ada’s dashboard', async () => {
    for (const stack of [fast, plain]) {
      for (const answer of await everyPath(stack, EXAMPLE_QUERY)) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data).toMatchObject({ userDashboard: { user: { id: 'u1', name: 'Ada Lovelace' }, degraded: [] } });
      }
    }
  });

  const coercionErrors: Array<[string, string, Record<string, unknown> | undefined, string]> = [
    [
      'a required variable not given',
      'query ($id: ID!) { user(id: $id) { id } }',
      undefined,
      'Variable "$id" of required type "ID!" was not provided.',
    ],
    [
      'an object for an ID',
      'query ($id: ID!) { user(id: $id) { id } }',
      { id: { no: 1 } },
      'Variable "$id" got invalid value { no: 1 }; ID cannot represent value: { no: 1 }',
    ],
    [
      'null for a non-null variable with a default',
      'query ($id: ID! = "u1") { user(id: $id) { id } }',
      { id: null },
      'Variable "$id" of non-null type "ID!" must not be null.',
    ],
    [
      'a null in a list of non-null ids',
      'query ($ids: [ID!]!) { users(ids: $ids) { id } }',
      { ids: ['u1', null] },
      'Variable "$ids" got invalid value null at "ids[1]"; Expected non-nullable type "ID!" not to be null.',
    ],
    [
      'a float for an Int',
      'query ($n: Int) { user(id: "u1") { comments(limit: $n) { id } } }',
      { n: 1.5 },
      'Variable "$n" got invalid value 1.5; Int cannot represent non-integer value: 1.5',
    ],
  ];

  it.each(coercionErrors)('%s: BAD_USER_INPUT on every path and engine', async (_name, query, variables, message) => {
    for (const stack of [fast, plain]) {
      for (const answer of await everyPath(stack, query, variables)) {
        expect(answer.data).toBeUndefined();
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
      }
    }
  });

  it('an explicit null over a default, where null is not allowed: the field error graphql-js gives, coded BAD_USER_INPUT', async () => {
    for (const stack of [fast, plain]) {
      for (const answer of await everyPath(stack, 'query ($id: ID = "u1") { a: user(id: "u1") { id } b: user(id: $id) { id } }', {
        id: null,
      })) {
        expect(answer).toEqual({
          data: { a: { id: 'u1' }, b: null },
          errors: [
            {
              message: 'Argument "id" of non-null type "ID!" must not be null.',
              locations: [{ line: 1, column: 63 }],
              path: ['b'],
              extensions: { code: 'BAD_USER_INPUT' },
            },
          ],
        });
      }
    }
  });
});
