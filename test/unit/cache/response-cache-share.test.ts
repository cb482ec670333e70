import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheHint, GatewayCache, ResponseCache, type CacheKey } from '../../../src/cache/index.js';

// On Redis too when one is configured (REQUIRE_REDIS=1 for redis://127.0.0.1:6379).
const redisUrl = process.env.REDIS_URL || (process.env.REQUIRE_REDIS === '1' ? 'redis://127.0.0.1:6379' : undefined);
const backends = [{ name: 'memory', redisUrl: undefined }, ...(redisUrl ? [{ name: 'redis', redisUrl }] : [])];

/** 13.8: each caller holds at most `maxPerCaller` whole responses; its own least recently used go first. */
describe.each(backends)('ResponseCache per-caller share ($name)', ({ redisUrl }) => {
  let cache: GatewayCache | undefined;
  afterEach(async () => {
    await cache?.clear();
    await cache?.dispose();
  });

  async function setup(maxPerCaller: number) {
    const now = Date.now();
    cache = GatewayCache.create({
      enabled: true,
      now: () => now,
      ...(redisUrl ? { redisUrl, namespace: `gw-test-${randomUUID()}`, redis: { connectTimeoutMs: 3000 } } : {}),
    });
    await cache.ready();
    const responses = new ResponseCache(cache, () => [{ service: 'auth', version: '1.0.0' }], 256 * 1024, maxPerCaller);
    const hint = () => {
      const h = new CacheHint();
      h.freshUntil(now + 60_000);
      return h;
    };
    const keyOf = (caller: string, i: number): CacheKey =>
      responses.key({ caller, accept: 'application/json', body: `{"query":"{ __typename } # ${i}"}` });
    const put = (caller: string, i: number) =>
      responses.set(keyOf(caller, i), { contentType: 'application/json', body: `{"n":${i}}` }, hint());
    const has = async (caller: string, i: number) => (await responses.get(keyOf(caller, i))) !== undefined;
    return { put, has };
  }

  it("a caller over its share loses its own oldest responses, never another caller's", async () => {
    const { put, has } = await setup(5);
    await put('u1:user', 0);
    for (let i = 0; i < 50; i++) await put('u2:admin', i);
    expect(await has('u1:user', 0)).toBe(true);
    const kept = [];
    for (let i = 0; i < 50; i++) if (await has('u2:admin', i)) kept.push(i);
    expect(kept).toEqual([45, 46, 47, 48, 49]);
  });

  it("a hit makes a response its caller's most recently used", async () => {
    const { put, has } = await setup(3);
    for (let i = 0; i < 3; i++) await put('u1:user', i);
    expect(await has('u1:user', 0)).toBe(true);
    await put('u1:user', 3);
    expect([await has('u1:user', 0), await has('u1:user', 1), await has('u1:user', 2), await has('u1:user', 3)]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });
});
