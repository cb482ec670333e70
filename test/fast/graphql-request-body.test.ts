import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';

/**
 * A JSON body that is no GraphQL request gets a clear coded answer, never the JSON
 * parser's text: `{}` is valid JSON without a query. Checked on both GraphQL paths (direct
 * execution and Yoga's).
 */
describe('POST /graphql bodies that are no GraphQL request', () => {
  let direct: FastApp;
  let viaYoga: FastApp;
  let token: string;

  beforeAll(async () => {
    [direct, viaYoga] = await Promise.all([
      startApp({ logLevel: 'warn' }),
      startApp({ env: { GRAPHQL_DIRECT_EXECUTION: 'false' }, logLevel: 'warn' }),
    ]);
    token = await direct.token('u1');
  });
  afterAll(() => Promise.all([direct?.close(), viaYoga?.close()]));

  const post = async (stack: FastApp, body: string) => {
    const res = await stack.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: body,
    });
    const text = res.body;
    return {
      status: res.statusCode,
      text,
      body: JSON.parse(text) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown },
    };
  };

  const cases: Array<[body: string, message: RegExp]> = [
    ['{}', /^The request has no GraphQL query/],
    ['{"variables": {"id": "u1"}}', /^The request has no GraphQL query/],
    ['{"query": null}', /^The request has no GraphQL query/],
    ['[]', /^The batch is empty/],
    ['[{}]', /^The request has no GraphQL query/],
    ['[1]', /^Each operation of a batch must be a JSON object/],
    ['null', /^The request body must be a JSON object/],
    ['"x"', /^The request body must be a JSON object/],
    ['5', /^The request body must be a JSON object/],
    ['true', /^The request body must be a JSON object/],
    ['{"query": 5}', /"query".*string/],
    ['{bad', /not valid JSON/],
    ['{"query": "{ __typename }"', /not valid JSON/],
  ];

  it.each(cases)('%s → 400 BAD_REQUEST, saying what is wrong', async (body, message) => {
    for (const stack of [direct, viaYoga]) {
      const res = await post(stack, body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0]!.extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(res.body.errors![0]!.message).toMatch(message);
      // Never the parser's own words, nor any internal error.
      expect(res.text).not.toMatch(/originalError|SyntaxError|Unexpected (token|end)|POST body sent invalid JSON|at .+\.(js|ts):\d+/);
    }
  });

  it('a real query, and a batch of them, still run', async () => {
    for (const stack of [direct, viaYoga]) {
      expect((await post(stack, '{"query": "{ __typename }"}')).body).toEqual({ data: { __typename: 'Query' } });
      expect((await post(stack, '[{"query": "{ __typename }"}, {"query": "{ a: __typename }"}]')).body).toEqual([
        { data: { __typename: 'Query' } },
        { data: { a: 'Query' } },
      ]);
    }
  });

  it('a persisted-query body without "query" is left to the persisted-query protocol, not refused as query-less', async () => {
    const res = await post(direct, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } }));
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('The request has no GraphQL query');
  });
});
