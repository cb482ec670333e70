import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { createGatewayYoga } from '../../src/graphql/yoga.js';
import { DashboardDocument, UsersDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Plain JSON queries skip Yoga's fetch layer (`graphql/direct-execution.ts`). Every
 * answer must be Yoga's own: the same requests against a gateway with
 * `GRAPHQL_DIRECT_EXECUTION=false` must get the same status, content type and body.
 */
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const hashOf = (doc: unknown): string => (doc as { __meta__: { hash: string } }).__meta__.hash;

describe('GraphQL direct execution answers exactly as Yoga does', () => {
  let direct: Stack;
  let viaYoga: Stack;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    // Production: masked errors, introspection off, the hardening limits on.
    const env = {
      NODE_ENV: 'production',
      ORCHESTRATION_CACHE_ENABLED: 'false',
      GRAPHQL_MAX_DEPTH: '4',
      RATE_LIMIT_RULES: 'Query.industries=1/60000',
      // Hash-only bodies naming a manifest entry run directly too.
      GRAPHQL_PERSISTED_OPERATIONS: 'test/generated/persisted-documents.json',
    };
    [direct, viaYoga] = await Promise.all([startStack({ env }), startStack({ env: { ...env, GRAPHQL_DIRECT_EXECUTION: 'false' } })]);
    admin = await direct.token('u2', 'admin');
    user = await direct.token('u1');
  });
  afterAll(async () => {
    await Promise.all([direct?.close(), viaYoga?.close()]);
  });

  const post = async (stack: Stack, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${stack.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      retryAfter: res.headers.get('retry-after'),
      // Dashboards are built per request: their timestamps differ, nothing else may.
      body: text.replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"…"'),
    };
  };

  const q = (query: string, variables?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ query, ...(variables ? { variables } : {}), ...extra });
  /** A hash-only body (Apollo's persisted query): the hash codegen embeds in the generated document. */
  const byHash = (doc: unknown, variables: Record<string, unknown>, hash = hashOf(doc)) =>
    JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
  const cases: Array<[string, () => string, () => Record<string, string>]> = [
    ['a dashboard', () => q(print(DashboardDocument), { userId: 'u1' }), () => ({ authorization: `Bearer ${user}` })],
    [
      'users with an unknown and a forbidden id',
      () => q(print(UsersDocument), { ids: ['u1', 'nobody', 'u3'] }),
      () => ({ authorization: `Bearer ${user}` }),
    ],
    [
      'another user’s dashboard (FORBIDDEN)',
      () => q(print(DashboardDocument), { userId: 'u3' }),
      () => ({ authorization: `Bearer ${user}` }),
    ],
    ['a manifest dashboard by its hash', () => byHash(DashboardDocument, { userId: 'u1' }), () => ({ authorization: `Bearer ${user}` })],
    [
      'a manifest dashboard by its hash in capitals',
      () => byHash(DashboardDocument, { userId: 'u1' }, hashOf(DashboardDocument).toUpperCase()),
      () => ({ authorization: `Bearer ${user}` }),
    ],
    [
      'a manifest query by its hash, another user’s (FORBIDDEN)',
      () => byHash(DashboardDocument, { userId: 'u3' }),
      () => ({ authorization: `Bearer ${user}` }),
    ],
    [
      'an unknown hash (PERSISTED_QUERY_NOT_FOUND)',
      () => byHash(DashboardDocument, { userId: 'u1' }, 'a'.repeat(64)),
      () => ({ authorization: `Bearer ${user}` }),
    ],
    ['a manifest hash with a wrong variable', () => byHash(UsersDocument, { ids: 'u1' }), () => ({ authorization: `Bearer ${admin}` })],
    ['no credentials (UNAUTHENTICATED)', () => q(print(DashboardDocument), { userId: 'u1' }), () => ({})],
    ['a syntax error', () => q('query { user(id: "u1") { id '), () => ({ authorization: `Bearer ${admin}` })],
    ['an unknown field', () => q('query { user(id: "u1") { nam } }'), () => ({ authorization: `Bearer ${admin}` })],
    [
      'a variable of the wrong type',
      () => q('query ($id: ID!) { user(id: $id) { id } }', { id: { no: 1 } }),
      () => ({ authorization: `Bearer ${admin}` }),
    ],
    [
      'too deep',
      () => q('query { user(id: "u1") { industry { recentJobs { industry { recentJobs { id } } } } } }'),
      () => ({ authorization: `Bearer ${admin}` }),
    ],
    ['introspection in production', () => q('{ __schema { types { name } } }'), () => ({ authorization: `Bearer ${admin}` })],
    [
      'two operations, the one named',
      () => q('query A { stats { uptimeSeconds } } query B { industries { id } }', undefined, { operationName: 'B' }),
      () => ({ authorization: `Bearer ${admin}` }),
    ],
    [
      'two operations, none named',
      () => q('query A { industries { id } } query B { industries { name } }'),
      () => ({ authorization: `Bearer ${admin}` }),
    ],
    ['a per-field rate limit (429 with Retry-After)', () => q('{ industries { id } }'), () => ({ authorization: `Bearer ${user}` })],
    ['an unknown parameter', () => q('{ industries { id } }', undefined, { foo: 1 }), () => ({ authorization: `Bearer ${admin}` })],
    ['Accept: */*', () => q(print(DashboardDocument), { userId: 'u1' }), () => ({ authorization: `Bearer ${user}`, accept: '*/*' })],
    [
      'Accept: application/graphql-response+json',
      () => q('query { user(id: "u1") { nam } }'),
      () => ({ authorization: `Bearer ${admin}`, accept: 'application/graphql-response+json' }),
    ],
  ];

  it.each(cases)('%s', async (_name, body, headers) => {
    const [a, b] = await Promise.all([post(direct, body(), headers()), post(viaYoga, body(), headers())]);
    expect(a).toEqual(b);
  });

  it('a plain query really skips Yoga’s HTTP handling (which logs "Processing GraphQL Parameters")', async () => {
    const marker = (s: Stack) => s.logs.find('Processing GraphQL Parameters').length;
    const [before, beforeYoga] = [marker(direct), marker(viaYoga)];
    await post(direct, q('{ industries { id } }'), { authorization: `Bearer ${admin}` });
    await post(viaYoga, q('{ industries { id } }'), { authorization: `Bearer ${admin}` });
    expect(marker(direct)).toBe(before);
    expect(marker(viaYoga)).toBeGreaterThan(beforeYoga);
    // So does a hash-only body naming a manifest entry.
    await post(direct, byHash(DashboardDocument, { userId: 'u1' }), { authorization: `Bearer ${user}` });
    expect(marker(direct)).toBe(before);
    // An APQ registration (query and hash) takes Yoga's whole path, as a mutation always does.
    const text = print(UsersDocument);
    await post(direct, q(text, { ids: ['u1'] }, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } }), {
      authorization: `Bearer ${user}`,
    });
    expect(marker(direct)).toBe(before + 1);
    // A mutation always takes Yoga's whole path.
    await post(direct, q('mutation { clearCache }'), { authorization: `Bearer ${admin}` });
    expect(marker(direct)).toBe(before + 2);
  });

  it('a query whose execution throws runs once: its upstream calls are not repeated', async () => {
    // Something after the resolvers throws (here the operation metrics, as a bug there would).
    // Direct execution used to hand the request to Yoga then, which ran the query again.
    const body = q(print(DashboardDocument), { userId: 'u1' });
    const headers = { authorization: `Bearer ${user}` };
    const answers = [];
    for (const stack of [direct, viaYoga]) {
      const before = stack.backendRequests();
      expect((await post(stack, body, headers)).status).toBe(200);
      const once = stack.backendRequests() - before; // the upstream calls of one dashboard (no cache in this suite)
      expect(once).toBeGreaterThanOrEqual(4);

      const metrics = stack.app.services.metrics!;
      const record = metrics.recordGraphQLOperation.bind(metrics);
      metrics.recordGraphQLOperation = () => {
        throw new Error('metrics broke');
      };
      try {
        const start = stack.backendRequests();
        answers.push(await post(stack, body, headers));
        expect(stack.backendRequests() - start).toBe(once);
      } finally {
        metrics.recordGraphQLOperation = record;
      }
      expect(stack.logs.find('unexpected error in GraphQL execution').at(-1)?.err).toMatchObject({ message: 'metrics broke' });
    }
    // Answered as Yoga answers it: masked, nothing internal leaks.
    expect(answers[0]).toEqual(answers[1]);
    expect(JSON.parse(answers[0]!.body)).toEqual({
      errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
    });
  });

  it('no plugin has request-level Yoga hooks beyond the ones direct execution accounts for', () => {
    // Direct execution runs the envelop hooks only. These counts are Yoga's built-ins plus the
    // gateway's CSRF and GET-parameter checks (no-ops for a JSON POST), and the variables depth
    // limit's onParams (the route checks a POST body itself, before direct execution). A plugin that changes them
    // may decide something per request that direct execution would skip (as
    // @graphql-yoga/plugin-disable-introspection did): check direct-execution.ts, then the counts.
    const yoga = createGatewayYoga(direct.app.services) as unknown as { plugins: Array<object | false | null> };
    const plugins = yoga.plugins.filter((p): p is object => typeof p === 'object' && p !== null);
    const count = (hook: string) => plugins.filter((p) => hook in p).length;
    // onParams: Yoga's own and the two of persisted operations, whose parse hook makes direct
    // execution decline every request they would act on (use-persisted-operations.ts).
    // onRequest + 1: graphql-sse's single connection mode, on /graphql/stream only (never direct).
    // onResultProcess + 1: useSubscriptions' SSE processor, for streamed results only (direct
    // execution declines every operation but a query).
    expect({
      onRequest: count('onRequest'),
      onRequestParse: count('onRequestParse'),
      onParams: count('onParams'),
      onExecutionResult: count('onExecutionResult'),
      onResultProcess: count('onResultProcess'),
      onResponse: count('onResponse'),
    }).toEqual({ onRequest: 4, onRequestParse: 10, onParams: 4, onExecutionResult: 0, onResultProcess: 2, onResponse: 0 });
  });
});
