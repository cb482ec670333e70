import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

// Skipped where no Redis is configured; with REQUIRE_REDIS=1 it runs (default URL below) and an
// unreachable Redis fails it instead of skipping.
const required = process.env.REQUIRE_REDIS === '1';
const url = process.env.REDIS_URL || (required ? 'redis://127.0.0.1:6379' : undefined);
const suite = url ? describe : describe.skip;
const title = url
  ? 'rate limits on Redis'
  : 'rate limits on Redis — skipped: Redis tests need REDIS_URL (or REQUIRE_REDIS=1 for redis://127.0.0.1:6379)';

suite(title, () => {
  let a: Stack;
  let b: Stack;

  beforeAll(async () => {
    const env = { REDIS_URL: url!, RATE_LIMIT_MAX: '4', RATE_LIMIT_MUTATION_MAX: '2' };
    a = await startStack({ env });
    b = await startStack({ env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('two gateway instances share one limit per principal', async () => {
    // A principal of its own per run, so parallel runs never share a count.
    const token = await a.token(`rl-${process.pid}-${randomUUID()}`, 'admin');
    const hit = (s: Stack) => fetch(`${s.url}/api/gateway/stats`, { headers: { authorization: `Bearer ${token}` } });
    expect((await hit(a)).status).toBe(200);
    expect((await hit(b)).status).toBe(200);
    expect((await hit(a)).status).toBe(200);
    const last = await hit(b);
    expect(last.status).toBe(200);
    expect(last.headers.get('ratelimit-remaining')).toBe('0');
    const refusedA = await hit(a);
    const refusedB = await hit(b);
    expect(refusedA.status).toBe(429);
    expect(refusedB.status).toBe(429);
    expect(Number(refusedB.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('and one mutation limit', async () => {
    const token = await a.token(`rl-m-${process.pid}-${randomUUID()}`, 'admin');
    expect((await a.graphql('mutation { clearCache }', {}, { token })).body.errors ?? []).toEqual([]);
    expect((await b.graphql('mutation { clearCache }', {}, { token })).body.errors ?? []).toEqual([]);
    const refused = await a.graphql('mutation { clearCache }', {}, { token });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});
