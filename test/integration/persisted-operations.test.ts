import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql, type DocumentNode } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashboardDocument, IndustriesDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Persisted and trusted operations (gateway.md): the Automatic Persisted Queries protocol as
 * Apollo Client's PersistedQueryLink drives it (POST and GET), a manifest
 * (GRAPHQL_PERSISTED_OPERATIONS, as `npm run codegen` writes it) and GRAPHQL_TRUSTED_ONLY.
 */

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** The manifest hash codegen embeds in each generated document (`persistedDocuments`). */
const hashOf = (doc: unknown): string => (doc as { __meta__: { hash: string } }).__meta__.hash;
const MANIFEST: Record<string, string> = JSON.parse(
  readFileSync(new URL('../generated/persisted-documents.json', import.meta.url), 'utf8'),
) as Record<string, string>;

/** What reached the gateway from a client: method, whether a query was sent, status. */
interface Seen {
  method: string;
  query: boolean;
  hash: string | undefined;
  status: number;
  /** The query text, when sent. */
  text?: string;
}

/** Apollo Client over Node's fetch, recording each HTTP exchange. */
function apollo(url: string, token: string | undefined, opts: { get?: boolean; manifestHashes?: boolean } = {}) {
  const seen: Seen[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const method = init?.method ?? 'GET';
    let body: { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } } = {};
    if (method === 'GET') {
      const params = new URL(String(input)).searchParams;
      body = { query: params.get('query') ?? undefined, extensions: JSON.parse(params.get('extensions') ?? '{}') as never };
    } else {
      body = JSON.parse(String(init?.body)) as typeof body;
    }
    seen.push({
      method,
      query: typeof body.query === 'string',
      hash: body.extensions?.persistedQuery?.sha256Hash,
      status: res.status,
      ...(body.query ? { text: body.query } : {}),
    });
    return res;
  };
  const persisted = new PersistedQueryLink(
    opts.manifestHashes
      ? // The generated documents carry the manifest's hash (codegen's persistedDocuments).
        { generateHash: (doc: DocumentNode) => hashOf(doc), useGETForHashedQueries: opts.get }
      : { sha256, useGETForHashedQueries: opts.get },
  );
  const http = new HttpLink({
    uri: `${url}/graphql`,
    fetch: recordingFetch,
    // A GET carries no JSON content type: Apollo's documented CSRF header.
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const client = new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: new InMemoryCache() });
  return { client, seen };
}

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** A hand-written POST of GraphQL-over-HTTP parameters. */
async function post(url: string, params: Record<string, unknown>, token?: string): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(params),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

/** A hand-written GET with the hash in `extensions`, as Apollo and urql send it. */
async function get(url: string, params: { query?: string; hash?: string; variables?: unknown }, token?: string): Promise<Answer> {
  const qs = new URLSearchParams();
  if (params.query) qs.set('query', params.query);
  if (params.variables) qs.set('variables', JSON.stringify(params.variables));
  if (params.hash) qs.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: params.hash } }));
  const res = await fetch(`${url}/graphql?${qs}`, {
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const ext = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codes = (a: Answer) => a.body.errors?.map((e) => e.extensions?.code);
/** A query no other test (or earlier run on a shared store) has registered. */
const fresh = (fields = 'id name') => `query Q${randomUUID().replaceAll('-', '')} { industries { ${fields} } }`;

describe('persisted operations: Automatic Persisted Queries', () => {
  let stack: Stack;
  let user: string;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MUTATION_MAX: '1000' } });
    user = await stack.token('u1', 'user');
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.reset());

  it('Apollo Client: the unknown hash is PERSISTED_QUERY_NOT_FOUND, the link resends it with the query (which registers it); a new client then sends only the hash', async () => {
    const query = gql(fresh('id name sector'));
    const first = apollo(stack.url, user);
    const a = await first.client.query({ query, fetchPolicy: 'no-cache' });
    // Apollo hashes the document it sends (its cache adds __typename): the hash of that text.
    const sent = first.seen[1]?.text ?? '';
    expect(first.seen).toEqual([
      { method: 'POST', query: false, hash: sha256(sent), status: 404 },
      { method: 'POST', query: true, hash: sha256(sent), status: 200, text: sent },
    ]);
    const oracle = await stack.graphql(sent, {}, { token: user });
    expect(a.data).toEqual(oracle.body.data);

    const second = apollo(stack.url, user);
    const b = await second.client.query({ query, fetchPolicy: 'no-cache' });
    expect(b.data).toEqual(oracle.body.data);
    expect(second.seen).toEqual([{ method: 'POST', query: false, hash: sha256(sent), status: 200 }]);
  });

  it('Apollo Client over GET (useGETForHashedQueries): an unknown hash is retried as a POST with the query, a known one is one GET', async () => {
    const query = gql(fresh());
    const first = apollo(stack.url, user, { get: true });
    const a = await first.client.query({ query, fetchPolicy: 'no-cache' });
    expect(first.seen.map((s) => [s.method, s.query, s.status])).toEqual([
      ['GET', false, 404],
      ['POST', true, 200],
    ]);

    const second = apollo(stack.url, user, { get: true });
    const b = await second.client.query({ query, fetchPolicy: 'no-cache' });
    expect(second.seen.map((s) => [s.method, s.query, s.status])).toEqual([['GET', false, 200]]);
    expect(b.data).toEqual(a.data);
  });

  it('an unknown hash is 404 PERSISTED_QUERY_NOT_FOUND "PersistedQueryNotFound", over POST and GET, never cacheable, reaching no backend', async () => {
    const hash = sha256(fresh());
    for (const answer of [await post(stack.url, { extensions: ext(hash) }, user), await get(stack.url, { hash }, user)]) {
      expect(answer.status).toBe(404);
      expect(answer.body.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
      expect(answer.headers.get('cache-control')).toMatch(/no-store|no-cache/);
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('a registered hash runs over GET with variables', async () => {
    const query = 'query UserName($id: ID!) { user(id: $id) { id name } }';
    const hash = sha256(query);
    const registered = await post(stack.url, { query, variables: { id: 'u1' }, extensions: ext(hash) }, user);
    expect(registered.status).toBe(200);
    const answer = await get(stack.url, { hash, variables: { id: 'u1' } }, user);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(registered.body);
  });

  it('a hash that does not match its query is refused (PERSISTED_QUERY_MISMATCH) and nothing is registered', async () => {
    const query = fresh();
    const wrong = sha256(fresh());
    const refused = await post(stack.url, { query, extensions: ext(wrong) }, user);
    expect(refused.status).toBe(400);
    expect(codes(refused)).toEqual(['PERSISTED_QUERY_MISMATCH']);
    expect(refused.body.data).toBeUndefined();
    expect(stack.backendRequests()).toBe(0);
    // Neither the hash sent nor the query's own hash is known afterwards.
    expect(codes(await post(stack.url, { extensions: ext(wrong) }, user))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(codes(await post(stack.url, { extensions: ext(sha256(query)) }, user))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('a registered document that fails validation (schema or a limit) is not kept', async () => {
    const invalid = `query Bad${randomUUID().slice(0, 8)} { industries { id noSuchField } }`;
    const aliases = `query Many${randomUUID().slice(0, 8)} { ${Array.from({ length: 16 }, (_, i) => `a${i}: industries { id }`).join(' ')} }`;
    for (const query of [invalid, aliases]) {
      const refused = await post(stack.url, { query, extensions: ext(sha256(query)) }, user);
      expect(codes(refused)).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(codes(await post(stack.url, { extensions: ext(sha256(query)) }, user))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('a persisted admin mutation registered by an admin is still FORBIDDEN for a user and UNAUTHENTICATED for nobody', async () => {
    const mutation = 'mutation ClearNps { clearCache(service: "nps") }';
    const hash = sha256(mutation);
    const byAdmin = await post(stack.url, { query: mutation, extensions: ext(hash) }, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.data).toEqual({ clearCache: expect.any(Number) });
    expect(await post(stack.url, { extensions: ext(hash) }, admin)).toMatchObject({
      status: 200,
      body: { data: { clearCache: expect.any(Number) } },
    });

    // Exactly what the same mutation sent as a document gets (a field error, data null).
    const byUser = await post(stack.url, { extensions: ext(hash) }, user);
    expect(codes(byUser)).toEqual(['FORBIDDEN']);
    expect(byUser.body.data).toBeNull();
    expect(byUser.body).toEqual((await stack.graphql(mutation, {}, { token: user })).body);
    const byNobody = await post(stack.url, { extensions: ext(hash) });
    expect(codes(byNobody)).toEqual(['UNAUTHENTICATED']);
    expect(byNobody.body).toEqual((await stack.graphql(mutation, {})).body);
    // And never over GET, as for any mutation.
    expect((await get(stack.url, { hash }, admin)).status).toBe(405);
  });

  it('a request with neither query nor hash is a coded 400', async () => {
    const answer = await post(stack.url, { variables: {} }, user);
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['BAD_REQUEST']);
  });
});

describe('persisted operations: the manifest (GRAPHQL_PERSISTED_OPERATIONS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-manifest-'));
  const file = join(dir, 'persisted-operations.json');
  const deep =
    'users(ids: ["u1"]) { industry { recentJobs { industry { recentJobs { industry { recentJobs { industry { recentJobs { id title company postedAt } } } } } } } } }';
  const expensive = `query Expensive { ${Array.from({ length: 20 }, () => '...D').join(' ')} } fragment D on Query { ${deep} }`;
  const forceSync = 'mutation ForceSync { forceSync { status } }';
  let stack: Stack;
  let user: string;

  beforeAll(async () => {
    writeFileSync(file, JSON.stringify({ ...MANIFEST, [sha256(expensive)]: expensive, [sha256(forceSync)]: forceSync }));
    stack = await startStack({ env: { GRAPHQL_PERSISTED_OPERATIONS: file, RATE_LIMIT_RULES: 'Query.industries=3/60000' } });
    user = await stack.token('u1', 'user');
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => stack.reset());

  it('every hash `npm run codegen` wrote is the SHA-256 of its document', () => {
    expect(Object.keys(MANIFEST).length).toBeGreaterThan(0);
    for (const [hash, document] of Object.entries(MANIFEST)) expect(sha256(document)).toBe(hash);
  });

  it('a manifest hash is known from the first request (Apollo Client sends only the hash, once)', async () => {
    const { client, seen } = apollo(stack.url, user, { manifestHashes: true });
    const { data } = await client.query({ query: DashboardDocument, variables: { userId: 'u1' }, fetchPolicy: 'no-cache' });
    expect(seen).toEqual([{ method: 'POST', query: false, hash: hashOf(DashboardDocument), status: 200 }]);
    const oracle = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: user });
    expect({ ...data!.userDashboard, generatedAt: null }).toEqual({ ...oracle.body.data!.userDashboard, generatedAt: null });
  });

  it('rate limits still apply to a persisted query', async () => {
    const hash = hashOf(IndustriesDocument);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(stack.url, { extensions: ext(hash) }, user)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(codes(await post(stack.url, { extensions: ext(hash) }, user))).toEqual(['RATE_LIMITED']);
  });

  it('the cost limit still applies to a manifest operation', async () => {
    const answer = await post(stack.url, { extensions: ext(sha256(expensive)) }, user);
    expect(codes(answer)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(answer.body.errors?.map((e) => e.message).join(' ')).toMatch(/cost/i);
    expect(stack.backendRequests('auth', '/api/users')).toBe(0);
  });

  it('a persisted admin mutation from the manifest is still FORBIDDEN for a user', async () => {
    const answer = await post(stack.url, { extensions: ext(sha256(forceSync)) }, user);
    expect(codes(answer)).toEqual(['FORBIDDEN']);
    expect(answer.body.data).toBeNull();
  });
});

describe('persisted operations: trusted only (GRAPHQL_TRUSTED_ONLY=true)', () => {
  let stack: Stack;
  let user: string;

  beforeAll(async () => {
    stack = await startStack({
      env: { GRAPHQL_PERSISTED_OPERATIONS: 'test/generated/persisted-documents.json', GRAPHQL_TRUSTED_ONLY: 'true' },
    });
    user = await stack.token('u1', 'user');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.reset());

  it('a manifest operation runs by its hash (Apollo Client with the generated hashes), over POST and GET', async () => {
    for (const get of [false, true]) {
      const { client, seen } = apollo(stack.url, user, { manifestHashes: true, get });
      const { data } = await client.query({ query: IndustriesDocument, fetchPolicy: 'no-cache' });
      expect(data!.industries.length).toBeGreaterThan(0);
      expect(seen).toEqual([{ method: get ? 'GET' : 'POST', query: false, hash: hashOf(IndustriesDocument), status: 200 }]);
    }
  });

  it('an ad-hoc document is refused with PERSISTED_QUERY_ONLY (POST, GET and the direct path), reaching no backend', async () => {
    const query = print(IndustriesDocument);
    for (const answer of [await stack.graphql(query, {}, { token: user }), await get(stack.url, { query }, user)]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_ONLY']);
      expect(answer.body.data).toBeUndefined();
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('registration is refused with PERSISTED_QUERY_ONLY and registers nothing; Apollo Client gets that error', async () => {
    const query = fresh();
    const hash = sha256(query);
    expect(codes(await post(stack.url, { query, extensions: ext(hash) }, user))).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(codes(await post(stack.url, { extensions: ext(hash) }, user))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    const { client, seen } = apollo(stack.url, user);
    const result = await client.query({ query: gql(query), fetchPolicy: 'no-cache', errorPolicy: 'all' });
    expect(result.data).toBeUndefined();
    expect(String(result.error)).toMatch(/trusted persisted operations/);
    expect(seen.map((s) => [s.query, s.status])).toEqual([
      [false, 404],
      [true, 400],
    ]);
    expect(stack.backendRequests()).toBe(0);
  });

  it('a request with no hash is refused with PERSISTED_QUERY_ONLY', async () => {
    expect(codes(await post(stack.url, { variables: {} }, user))).toEqual(['PERSISTED_QUERY_ONLY']);
  });
});
