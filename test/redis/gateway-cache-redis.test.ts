import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayCache, type CacheKey } from '../../src/cache/index.js';

// Skipped where no Redis is configured; with REQUIRE_REDIS=1 it runs (default URL below) and an
// unreachable Redis fails it instead of skipping.
const required = process.env.REQUIRE_REDIS === '1';
const url = process.env.REDIS_URL || (required ? 'redis://127.0.0.1:6379' : undefined);
const suite = url ? describe : describe.skip;
const title = url
  ? 'GatewayCache on Redis'
  : 'GatewayCache on Redis — skipped: Redis tests need REDIS_URL (or REQUIRE_REDIS=1 for redis://127.0.0.1:6379)';

const user = (id: string, version = '1.0.0'): CacheKey => ({ kind: 'user', id, deps: [{ service: 'auth', version }] });
const comments = (id: string): CacheKey => ({ kind: 'comments', id, deps: [{ service: 'comment', version: '1.0.0' }] });
const dashboard = (id: string): CacheKey => ({
  kind: 'dashboard',
  id,
  deps: [
    { service: 'auth', version: '1.0.0' },
    { service: 'comment', version: '1.0.0' },
    { service: 'industry', version: '1.0.0' },
    { service: 'nps', version: null },
  ],
});

suite(title, () => {
  // A namespace of its own per run, so parallel runs and real data are never touched.
  const namespace = `gw-test-${process.pid}-${randomUUID()}`;
  let clock = Date.now();
  let a: GatewayCache;
  let b: GatewayCache;
  let raw: ReturnType<typeof createClient>;

  beforeAll(async () => {
    const opts = { enabled: true, redisUrl: url!, namespace, staleFactor: 10, now: () => clock, redis: { connectTimeoutMs: 3000 } };
    a = GatewayCache.create(opts);
    b = GatewayCache.create(opts);
    raw = createClient({ url: url!, socket: { reconnectStrategy: false, connectTimeout: 3000 } });
    raw.on('error', () => undefined);
    // Any of these rejecting (Redis unreachable) fails the suite.
    await Promise.all([a.ready(), b.ready(), raw.connect()]);
  });

  afterAll(async () => {
    const left: string[] = [];
    if (raw?.isReady) {
      await a.clear();
      let cursor = '0';
      do {
        const reply = await raw.scan(cursor, { MATCH: `${namespace}*`, COUNT: 1000 });
        cursor = String(reply.cursor);
        left.push(...reply.keys);
      } while (cursor !== '0');
      await raw.close();
    } else {
      if (raw?.isOpen) raw.destroy();
    }
    await Promise.all([a?.dispose(), b?.dispose()]);
    expect(left).toEqual([]);
  });

  it('two instances share entries', async () => {
    await a.set(user('1'), { name: 'Ada' }, 60_000);
    expect(await b.get(user('1'))).toEqual({ status: 'fresh', value: { name: 'Ada' }, freshUntil: expect.any(Number) });
    await b.setMany([
      { key: user('2'), value: 'u2', ttlMs: 60_000 },
      { key: user('3'), value: 'u3', ttlMs: 60_000 },
    ]);
    expect(await a.getMany([user('3'), user('404'), user('2')])).toEqual([
      { status: 'fresh', value: 'u3', freshUntil: expect.any(Number) },
      { status: 'miss' },
      { status: 'fresh', value: 'u2', freshUntil: expect.any(Number) },
    ]);
  });

  it('stores under the namespace, keyed by dependency versions, with a Redis ttl of staleFactor × ttl', async () => {
    await a.set(dashboard('7'), 'd7', 2000);
    const key = `${namespace}::auth@1.0.0+comment@1.0.0+industry@1.0.0+nps@:dashboard:7`;
    expect(await raw.exists(key)).toBe(1);
    const pttl = await raw.pTTL(key);
    expect(pttl).toBeGreaterThan(19_000);
    expect(pttl).toBeLessThanOrEqual(20_000);
  });

  it('fresh, then stale, then miss by the clock; a new version misses', async () => {
    await a.set(user('10'), 'v', 1000);
    clock += 1000;
    expect((await b.get(user('10'))).status).toBe('stale');
    clock += 9000;
    expect((await b.get(user('10'))).status).toBe('miss');
    await a.set(user('11'), 'v', 60_000);
    expect((await b.get(user('11', '2.0.0'))).status).toBe('miss');
  });

  it('clear(service) on one instance removes what the other cached from that service, composites included', async () => {
    await a.clear();
    await a.set(user('1'), 'u1', 60_000);
    await a.set(comments('1'), 'c1', 60_000);
    await b.set(comments('2'), 'c2', 60_000);
    await b.set(dashboard('1'), 'd1', 60_000);
    await b.set({ kind: 'x', id: '1', deps: [{ service: 'xcomment', version: '1' }] }, 'x', 60_000);
    expect(await a.keyCount()).toBe(5);

    expect(await b.clear('comment')).toBe(3);
    expect((await a.get(dashboard('1'))).status).toBe('miss');
    expect((await a.get(comments('2'))).status).toBe('miss');
    expect((await a.get(user('1'))).status).toBe('fresh');
    expect(await a.clear('comment')).toBe(0);
    expect(await a.clear()).toBe(2);
    expect(await b.keyCount()).toBe(0);
  });

  it('clear() leaves keys outside its namespace alone', async () => {
    const outsider = `${namespace}-other::auth@1.0.0:user:1`;
    await raw.set(outsider, 'keep', { PX: 60_000 });
    await a.set(user('1'), 'u1', 60_000);
    expect(await a.clear()).toBe(1);
    expect(await raw.get(outsider)).toBe('keep');
    await raw.del(outsider);
  });
});
