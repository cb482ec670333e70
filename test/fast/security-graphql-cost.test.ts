import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';

/** 13.1: four levels of recentJobs(limit: 100) under 15 aliases — 65.9 MB answered for a 1.7 KB query. */
const ATTACK = `query { ${Array.from({ length: 15 }, (_, i) => `a${i}: industries { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { industry { recentJobs(limit: 100) { id title company postedAt } } } } } } } }`).join(' ')} }`;
const CONTRACT_USERS =
  'query Users($ids: [ID!]!) { users(ids: $ids) { id name industry { name } nps { score } comments(limit: 3) { id } } }';

describe('security: GraphQL cost multiplies by list sizes, and answers are bounded (13.1)', () => {
  let stack: FastApp;
  let admin: string;

  beforeAll(async () => {
    stack = await startApp();
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  it('the 66 MB query is refused by the cost limit before any backend is called, on both execution paths', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const { status, body } = await stack.graphql(ATTACK, {}, { token: admin, headers: { accept } });
      expect([200, 400]).toContain(status);
      expect(body.data ?? null).toBeNull();
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors?.[0]?.message).toMatch(/cost of \d+ is over the limit of 20000/);
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('the cost follows variables: the same document runs with a small limit and is refused with a large one', async () => {
    const query = 'query Jobs($n: Int) { industries { recentJobs(limit: $n) { industry { recentJobs(limit: $n) { id title } } } } }';
    const small = await stack.graphql(query, { n: 2 }, { token: admin });
    expect(small.body.errors ?? []).toEqual([]);
    const before = stack.backendRequests();
    const large = await stack.graphql(query, { n: 100 }, { token: admin });
    expect(large.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(large.body.errors?.[0]?.message).toMatch(/cost/);
    expect(stack.backendRequests()).toBe(before);
  });

  it("the contract's users(ids:) query with 500 ids is not refused by the cost limit; with 100 it runs whole", async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i + 1}`);
    const many = await stack.graphql(CONTRACT_USERS, { ids: ids(500) }, { token: admin });
    expect(many.body.errors?.map((e) => e.extensions?.code) ?? []).not.toContain('GRAPHQL_VALIDATION_FAILED');
    const hundred = await stack.graphql(CONTRACT_USERS, { ids: ids(100) }, { token: admin });
    expect(hundred.body.errors ?? []).toEqual([]);
    expect((hundred.body.data as { users: unknown[] }).users).toHaveLength(100);
  });

  it('an answer over GRAPHQL_MAX_RESPONSE_BYTES is RESPONSE_TOO_LARGE with no data, and is not cached', async () => {
    const small = await startApp({ env: { GRAPHQL_MAX_RESPONSE_BYTES: '4096' } });
    try {
      const token = await small.token('u2', 'admin');
      const query = '{ industries { id name sector recentJobs(limit: 10) { id title company postedAt } } }';
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const res = await small.graphql(query, {}, { token, headers: { accept } });
        expect(res.status).toBe(413);
        expect(res.body).not.toHaveProperty('data');
        expect(res.body.errors).toEqual([
          expect.objectContaining({
            message: expect.stringMatching(/larger than the limit of 4096 bytes/),
            extensions: { code: 'RESPONSE_TOO_LARGE' },
          }),
        ]);
      }
      // Not kept by the response cache: the next ask executes (and is refused) again.
      expect(small.app.services.metrics?.requests.responseCache.hits).toBe(0);
      // Under the bound, the same stack answers as usual.
      const ok = await small.graphql('{ industries { id name } }', {}, { token });
      expect(ok.status).toBe(200);
      expect(ok.body.errors ?? []).toEqual([]);
    } finally {
      await small.close();
    }
  });
});
