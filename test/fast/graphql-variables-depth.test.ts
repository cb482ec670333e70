import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';

/** `levels` objects nested in one another, as JSON text (built as text: JSON.stringify itself overflows on the attack). */
const nested = (levels: number) => `${'{"v":'.repeat(levels)}1${'}'.repeat(levels)}`;

/**
 * `variables` nested 10 000 levels overflowed the stack in the response
 * cache key's JSON.stringify (a 500, a stack in the log). `gateway.md`: "`variables` nested
 * deeper than 32 levels is `BAD_USER_INPUT`", refused before anything walks them. The
 * `variables` object itself is level 1.
 */
describe('variables nested deeper than 32 levels are BAD_USER_INPUT', () => {
  let stack: FastApp;
  let token: string;

  beforeAll(async () => {
    // The response cache on (the default), so a POST's cache key is computed.
    stack = await startApp({ env: { RESPONSE_CACHE_ENABLED: 'true' }, logLevel: 'info' });
    token = await stack.token('u1');
  });
  afterAll(() => stack?.close());

  const post = async (body: string) => {
    const res = await stack.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: body,
    });
    return {
      status: res.statusCode,
      body: res.json() as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
    };
  };
  const refusedAsInput = {
    errors: [{ message: 'The variables are nested deeper than 32 levels.', extensions: { code: 'BAD_USER_INPUT' } }],
  };

  it('the attack: 10 000 levels is a 400 BAD_USER_INPUT, nothing logged as an error, and the gateway keeps serving', async () => {
    const res = await post(`{"query":"{ __typename }","variables":{"x":${nested(10_000)}}}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusedAsInput);
    expect(stack.logs.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    expect((await post('{"query":"{ __typename }"}')).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('32 levels run; 33 are refused', async () => {
    const ok = await post(`{"query":"{ __typename }","variables":${nested(32)}}`);
    expect(ok).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    const refused = await post(`{"query":"{ __typename }","variables":${nested(33)}}`);
    expect(refused).toEqual({ status: 400, body: refusedAsInput });
  });

  it('in a batch, and in a GET (Yoga’s own path)', async () => {
    const batch = await post(`[{"query":"{ __typename }"},{"query":"{ __typename }","variables":${nested(33)}}]`);
    expect(batch).toEqual({ status: 400, body: refusedAsInput });
    const get = async (levels: number) => {
      const url = `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(nested(levels))}`;
      const res = await stack.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}`, 'x-graphql-csrf': '1', accept: 'application/json' },
      });
      return { status: res.statusCode, body: res.json() as unknown };
    };
    expect(await get(32)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(await get(33)).toEqual({ status: 400, body: refusedAsInput });
  });

  it('other parameters (extensions) nested as deep are a 400 BAD_REQUEST, not a crash', async () => {
    const res = await post(`{"query":"{ __typename }","extensions":${nested(10_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(stack.logs.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
