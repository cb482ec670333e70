import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphql/yoga.js';
import { startStack, type Stack } from '../support/stack.js';

/** GraphQL hardening: every limit refuses before any backend is called. */
describe('security: GraphQL limits', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  function nested(depth: number): string {
    // user → industry → recentJobs → industry → recentJobs … : real fields, so only the depth limit can refuse it.
    let inner = 'id';
    for (let i = 0; i < depth; i++) inner = i % 2 === 0 ? `industry { ${inner} }` : `recentJobs { ${inner} }`;
    return `query { user(id: "u1") { ${inner} } }`;
  }

  it('the GraphiQL example query and users(ids:) with 50 ids pass the default limits', async () => {
    const dashboard = await stack.graphql(EXAMPLE_QUERY, { userId: 'u1' }, { token: admin });
    expect(dashboard.body.errors).toBeUndefined();
    expect(dashboard.body.data).toMatchObject({ userDashboard: { user: { id: 'u1' } } });
    const ids = Array.from({ length: 50 }, (_, i) => `u${i + 1}`);
    const users = await stack.graphql(
      'query Users($ids: [ID!]!) { users(ids: $ids) { id name comments { body } nps { score } } }',
      { ids },
      { token: admin },
    );
    expect(users.status).toBe(200);
    expect(users.body.errors ?? []).toEqual([]);
    const inline = await stack.graphql(
      `query { users(ids: [${ids.map((id) => `"${id}"`).join(', ')}]) { id name } }`,
      {},
      { token: admin },
    );
    expect(inline.body.errors ?? []).toEqual([]);
  });

  it("GraphiQL's own introspection query passes every limit in development", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const { body } = await stack.graphql(query, {});
    expect(body.errors ?? []).toEqual([]);
    expect(body.data).toHaveProperty('__schema');
  });

  it('a query 20 levels deep is refused with a clear message and reaches no backend', async () => {
    const { status, body } = await stack.graphql(nested(20), {}, { token: admin });
    expect([200, 400]).toContain(status);
    const depth = body.errors?.find((e) => /depth limit of 10/i.test(e.message));
    expect(depth?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(stack.backendRequests()).toBe(0);
  });

  it('a query within the depth limit runs', async () => {
    const { body } = await stack.graphql(nested(6), {}, { token: admin });
    expect(body.errors ?? []).toEqual([]);
  });

  it('a query with 500 aliases is refused before any backend is called', async () => {
    const fields = Array.from({ length: 500 }, (_, i) => `a${i}: industries { id }`).join(' ');
    const { status, body } = await stack.graphql(`query { ${fields} }`, {}, { token: admin });
    expect([200, 400]).toContain(status);
    // Whichever limit trips first (500 aliases are also 2500 tokens), it is named.
    expect(body.errors?.map((e) => e.message).join(' ')).toMatch(/(aliases|token) limit/i);
    // With the token limit out of the way, the alias limit refuses it.
    const roomy = await startStack({ env: { GRAPHQL_MAX_TOKENS: '100000' } });
    try {
      const r = await roomy.graphql(`query { ${fields} }`, {}, { token: await roomy.token('u2', 'admin') });
      expect(r.body.errors?.[0]?.message).toMatch(/Aliases limit of 15 exceeded, found 500/);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(roomy.backendRequests()).toBe(0);
    } finally {
      await roomy.close();
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('100 batched operations in one request are refused, none runs', async () => {
    const ops = Array.from({ length: 100 }, () => ({ query: 'query { user(id: "u1") { id } }' }));
    const res = await post(ops);
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors?: Array<{ message: string }> };
    expect(JSON.stringify(body)).toMatch(/batch/i);
    expect(stack.backendRequests()).toBe(0);
  });

  it('a batch within the limit runs every operation', async () => {
    const res = await post([{ query: 'query { user(id: "u1") { id } }' }, { query: 'query { user(id: "u2") { id } }' }]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ data: { user: { id: 'u1' } } }, { data: { user: { id: 'u2' } } }]);
  });

  it('a query over the token limit is refused before any backend is called', async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `"u${i}"`).join(' ');
    const { status, body } = await stack.graphql(`query { users(ids: [${ids}]) { id } }`, {}, { token: admin });
    expect([200, 400]).toContain(status);
    expect(body.errors?.[0]?.message).toMatch(/token limit/i);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(stack.backendRequests()).toBe(0);
  });

  it('a query over the cost limit is refused before any backend is called', async () => {
    // Fragment amplification: one deep fragment (cost ~300) spread 20 times — few tokens, no alias, depth 9.
    const deep =
      'users(ids: ["u1"]) { industry { recentJobs { industry { recentJobs { industry { recentJobs { industry { recentJobs { id title company postedAt } } } } } } } } }';
    const query = `query { ${Array.from({ length: 20 }, () => '...D').join(' ')} } fragment D on Query { ${deep} }`;
    const { status, body } = await stack.graphql(query, {}, { token: admin });
    expect([200, 400]).toContain(status);
    expect(body.errors?.map((e) => e.message).join(' ')).toMatch(/cost/i);
    expect(stack.backendRequests()).toBe(0);
  });

  it('too many directives are refused', async () => {
    const dirs = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
    const { status, body } = await stack.graphql(`query { user(id: "u1") { id ${dirs} } }`, {}, { token: admin });
    expect([200, 400]).toContain(status);
    expect(body.errors?.map((e) => e.message).join(' ')).toMatch(/directive/i);
    expect(stack.backendRequests()).toBe(0);
  });

  it('a mutation over GET is refused and nothing runs', async () => {
    const q = encodeURIComponent('mutation { clearCache }');
    const res = await fetch(`${stack.url}/graphql?query=${q}`, {
      headers: { authorization: `Bearer ${admin}`, 'x-graphql-csrf': '1', accept: 'application/json' },
    });
    expect(res.status).toBe(405);
    const body = (await res.json()) as { errors?: Array<{ message: string }> };
    expect(body.errors?.[0]?.message).toMatch(/mutation.*POST|POST/i);
    expect(stack.logs.lines.filter((l) => l.audit === true)).toHaveLength(0);
  });

  it('a query over GET works with a CSRF header, and a "simple" GET without one is refused (403, FORBIDDEN)', async () => {
    const q = encodeURIComponent('{ user(id: "u1") { id } }');
    const ok = await fetch(`${stack.url}/graphql?query=${q}`, {
      headers: { authorization: `Bearer ${admin}`, 'x-graphql-csrf': '1', accept: 'application/json' },
    });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${stack.url}/graphql?query=${q}`, {
      headers: { authorization: `Bearer ${admin}`, accept: 'application/json' },
    });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { errors: Array<{ message: string; extensions?: { code?: string } }> };
    expect(body.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(body.errors[0]?.message).toMatch(/cross-site/);
  });

  it('a form-encoded or text/plain POST (no preflight in a browser) is refused', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post(JSON.stringify({ query: 'mutation { clearCache }' }), { 'content-type': type });
      // text/plain reaches Yoga's CSRF check (403); form types have no body parser at all (415 → 400).
      expect([400, 403], type).toContain(res.status);
    }
    expect(stack.logs.lines.filter((l) => l.audit === true)).toHaveLength(0);
  });

  it('field suggestions are shown in development', async () => {
    const { body } = await stack.graphql('query { user(id: "u1") { nam } }', {}, { token: admin });
    expect(body.errors?.[0]?.message).toMatch(/Did you mean/);
  });

  it('the GraphiQL page is served with security headers it still works under', async () => {
    const res = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/<html/i);
    // The bundled GraphiQL (imported on the first page): it works without internet access.
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|esm\.sh/);
    expect(page.length).toBeGreaterThan(1_000_000);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('security: GraphQL in production', () => {
  let stack: Stack;
  let admin: string;
  beforeAll(async () => {
    stack = await startStack({ env: { NODE_ENV: 'production' } });
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());

  it('introspection is off and field suggestions are hidden', async () => {
    const intro = await stack.graphql('query { __schema { types { name } } }', {}, { token: admin });
    expect(intro.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect(intro.body.data ?? null).toBeNull();
    const typo = await stack.graphql('query { user(id: "u1") { nam } }', {}, { token: admin });
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('GRAPHQL_INTROSPECTION=true turns introspection back on', async () => {
    const open = await startStack({ env: { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' } });
    try {
      const { body } = await open.graphql('query { __schema { queryType { name } } }', {}, { token: await open.token('u2', 'admin') });
      expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await open.close();
    }
  });

  it('limits are configurable', async () => {
    const strict = await startStack({ env: { GRAPHQL_MAX_DEPTH: '2', GRAPHQL_MAX_ALIASES: '1' } });
    try {
      const token = await strict.token('u2', 'admin');
      const deep = await strict.graphql('query { user(id: "u1") { industry { recentJobs { id } } } }', {}, { token });
      expect(deep.body.errors?.[0]?.message).toMatch(/depth limit of 2/);
      const aliases = await strict.graphql('query { a: user(id: "u1") { id } b: user(id: "u2") { id } }', {}, { token });
      expect(aliases.body.errors?.[0]?.message).toMatch(/alias/i);
      expect(strict.backendRequests()).toBe(0);
    } finally {
      await strict.close();
    }
  });
});

describe('security: GraphQL GET parameters (found by the fuzz test)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('bad JSON in a GET "variables" or "extensions" is a coded 400, not an unexpected error', async () => {
    for (const name of ['variables', 'extensions']) {
      const res = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}&${name}=${encodeURIComponent('{nope')}`, {
        headers: { 'x-graphql-csrf': '1', accept: 'application/json' },
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: Array<{ message: string; extensions?: { code?: string } }> };
      expect(body.errors[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(body.errors[0]?.message).toContain(`"${name}" parameter is not valid JSON`);
    }
    expect(stack.logs.lines.filter((l) => l.level === 50)).toEqual([]);
  });
});
