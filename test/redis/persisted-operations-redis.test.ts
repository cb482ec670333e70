import { createHash, randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

// Skipped where no Redis is configured; with REQUIRE_REDIS=1 it runs (default URL below) and an
// unreachable Redis fails it instead of skipping.
const required = process.env.REQUIRE_REDIS === '1';
const url = process.env.REDIS_URL || (required ? 'redis://127.0.0.1:6379' : undefined);
const suite = url ? describe : describe.skip;
const title = url
  ? 'persisted queries on Redis: registered on one gateway, known to another'
  : 'persisted queries on Redis — skipped: Redis tests need REDIS_URL (or REQUIRE_REDIS=1 for redis://127.0.0.1:6379)';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const ext = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

suite(title, () => {
  let a: Stack;
  let b: Stack;
  let token: string;
  const redis = createClient({ url: url! });

  beforeAll(async () => {
    a = await startStack({ env: { REDIS_URL: url! } });
    b = await startStack({ env: { REDIS_URL: url! } });
    token = await a.token('u1', 'user');
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close().catch(() => undefined);
    await a?.close();
    await b?.close();
  });

  async function post(stack: Stack, body: unknown) {
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
  }

  it('a query registered on gateway A runs by its hash alone on gateway B (kept in Redis, with a TTL)', async () => {
    // Unique per run: nothing an earlier run left in Redis can answer for it.
    const query = `query Shared${randomUUID().replaceAll('-', '')} { industries { id name } }`;
    const hash = sha256(query);
    expect((await post(b, { extensions: ext(hash) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(a, { query, extensions: ext(hash) });
    expect(registered.status).toBe(200);
    const onB = await post(b, { extensions: ext(hash) });
    expect(onB.status).toBe(200);
    expect(onB.body).toEqual(registered.body);
    expect(await redis.pTTL(`gw-pq::${hash}`)).toBeGreaterThan(0);
  });

  it('a mismatched or invalid registration on A is unknown on B', async () => {
    const query = `query Bad${randomUUID().replaceAll('-', '')} { industries { id nope } }`;
    expect((await post(a, { query, extensions: ext(sha256(query)) })).body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const other = `query Other${randomUUID().replaceAll('-', '')} { industries { id } }`;
    expect((await post(a, { query: other, extensions: ext(sha256(query)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_MISMATCH',
    );
    expect((await post(b, { extensions: ext(sha256(query)) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(b, { extensions: ext(sha256(other)) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await redis.exists([`gw-pq::${sha256(query)}`, `gw-pq::${sha256(other)}`])).toBe(0);
  });
});
