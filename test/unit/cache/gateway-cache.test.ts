import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatCacheKey, GatewayCache, type CacheKey, type GatewayCacheOptions } from '../../../src/cache/index.js';

const user = (id: string, authVersion: string | null = '1.0.0'): CacheKey => ({
  kind: 'user',
  id,
  deps: [{ service: 'auth', version: authVersion }],
});
const comments = (id: string): CacheKey => ({ kind: 'comments', id, deps: [{ service: 'comment', version: '1.0.0' }] });
const dashboard = (id: string, commentVersion = '1.0.0'): CacheKey => ({
  kind: 'dashboard',
  id,
  deps: [
    { service: 'nps', version: '2.1.0' },
    { service: 'comment', version: commentVersion },
    { service: 'auth', version: '1.0.0' },
    { service: 'industry', version: null },
  ],
});

describe('GatewayCache (in memory)', () => {
  let clock = 1_000_000;
  const caches: GatewayCache[] = [];
  const make = (opts: Partial<GatewayCacheOptions> = {}) => {
    const c = GatewayCache.create({ enabled: true, staleFactor: 10, now: () => clock, ...opts });
    caches.push(c);
    return c;
  };

  afterEach(async () => {
    for (const c of caches.splice(0)) await c.dispose();
    clock = 1_000_000;
  });

  it('is fresh for ttl, then stale until staleFactor × ttl, then a miss', async () => {
    const cache = make();
    await cache.set(user('1'), { name: 'Ada' }, 1000);
    const storedAt = clock;
    expect(await cache.get(user('1'))).toEqual({ status: 'fresh', value: { name: 'Ada' }, freshUntil: storedAt + 1000 });
    clock += 999;
    expect((await cache.get(user('1'))).status).toBe('fresh');
    clock += 1;
    expect(await cache.get(user('1'))).toEqual({ status: 'stale', value: { name: 'Ada' }, storedAt });
    clock = storedAt + 10 * 1000 - 1;
    expect((await cache.get(user('1'))).status).toBe('stale');
    clock += 1;
    expect(await cache.get(user('1'))).toEqual({ status: 'miss' });
  });

  it('keepStale: false drops an entry once it is no longer fresh', async () => {
    const cache = make();
    await cache.set(user('1'), { name: 'Ada' }, 1000, { keepStale: false });
    clock += 999;
    expect((await cache.get(user('1'))).status).toBe('fresh');
    clock += 1;
    expect(await cache.get(user('1'))).toEqual({ status: 'miss' });
  });

  it('counts a hit only for fresh lookups', async () => {
    const cache = make();
    await cache.set(user('1'), 1, 1000);
    await cache.get(user('1')); // fresh
    await cache.get(user('2')); // miss
    clock += 1500;
    await cache.get(user('1')); // stale
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2, keys: 1, backend: 'memory' });
    expect(cache.stats.hitRate).toBeCloseTo(1 / 3);
  });

  it('staleFactor 1 means no stale window', async () => {
    const cache = make({ staleFactor: 1 });
    await cache.set(user('1'), 1, 1000);
    clock += 1000;
    expect((await cache.get(user('1'))).status).toBe('miss');
  });

  it('misses after a dependency reports a new version', async () => {
    const cache = make();
    await cache.set(user('1', '1.0.0'), 'old', 60_000);
    expect((await cache.get(user('1', '1.0.0'))).status).toBe('fresh');
    expect((await cache.get(user('1', '1.1.0'))).status).toBe('miss');
    expect((await cache.get(user('1', null))).status).toBe('miss');
    await cache.set(dashboard('1'), 'dash', 60_000);
    expect((await cache.get(dashboard('1', '1.0.1'))).status).toBe('miss');
  });

  it('keys embed every dependency with its version, independent of their order', () => {
    const key = formatCacheKey(dashboard('42'));
    expect(key).toBe('auth@1.0.0+comment@1.0.0+industry@+nps@2.1.0:dashboard:42');
    expect(formatCacheKey({ ...dashboard('42'), deps: [...dashboard('42').deps].reverse() })).toBe(key);
    // Separators inside names or ids cannot forge another dependency.
    expect(formatCacheKey({ kind: 'user', id: 'a:b+c@d', deps: [{ service: 'auth', version: '1.0.0+build:1' }] })).toBe(
      'auth@1.0.0%2Bbuild%3A1:user:a%3Ab%2Bc%40d',
    );
  });

  it('getMany answers in order, fresh, stale and miss', async () => {
    const cache = make();
    await cache.set(user('1'), 'u1', 1000);
    clock += 1500;
    await cache.setMany([
      { key: user('2'), value: 'u2', ttlMs: 1000 },
      { key: user('3'), value: 'u3', ttlMs: 0 }, // not cached
    ]);
    const found = await cache.getMany<string>([user('2'), user('1'), user('3')]);
    expect(found).toEqual([
      { status: 'fresh', value: 'u2', freshUntil: expect.any(Number) },
      { status: 'stale', value: 'u1', storedAt: clock - 1500 },
      { status: 'miss' },
    ]);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2 });
    expect(await cache.getMany([])).toEqual([]);
  });

  it('clear(service) removes every entry depending on it, composite ones included, and returns the count', async () => {
    const cache = make();
    await cache.set(user('1'), 'u1', 60_000);
    await cache.set(comments('1'), 'c1', 60_000);
    await cache.set(comments('2'), 'c2', 60_000);
    await cache.set(dashboard('1'), 'd1', 60_000);
    await cache.set(dashboard('2', '0.9.0'), 'd2', 60_000); // cached under an older comment version
    // A service whose name merely contains another's is not a match.
    await cache.set({ kind: 'x', id: '1', deps: [{ service: 'xcomment', version: '1' }] }, 'x', 60_000);

    expect(await cache.clear('comment')).toBe(4);
    expect((await cache.get(user('1'))).status).toBe('fresh');
    expect((await cache.get(dashboard('1'))).status).toBe('miss');
    expect((await cache.get(comments('2'))).status).toBe('miss');
    expect((await cache.get({ kind: 'x', id: '1', deps: [{ service: 'xcomment', version: '1' }] })).status).toBe('fresh');
    expect(await cache.clear('comment')).toBe(0);
    expect(await cache.clear('unknown')).toBe(0);
    expect(await cache.clear()).toBe(2);
    expect(await cache.keyCount()).toBe(0);
  });

  it('disabled: every get misses, set does nothing, stats stay defined', async () => {
    const cache = make({ enabled: false });
    await cache.set(user('1'), 'u1', 60_000);
    expect(await cache.get(user('1'))).toEqual({ status: 'miss' });
    expect(await cache.getMany([user('1'), user('2')])).toEqual([{ status: 'miss' }, { status: 'miss' }]);
    expect(await cache.clear()).toBe(0);
    await cache.ready();
    expect(cache.stats).toEqual({ hits: 0, misses: 3, keys: 0, hitRate: 0, backend: 'disabled' });
  });

  it('rejects a staleFactor below 1', () => {
    expect(() => make({ staleFactor: 0.5 })).toThrow(RangeError);
  });

  it('after dispose() every get misses and nothing is kept alive', async () => {
    vi.useFakeTimers();
    try {
      const cache = make();
      await cache.set(user('1'), 'u1', 60_000);
      expect(vi.getTimerCount()).toBe(1); // the sweep
      await cache.dispose();
      expect(vi.getTimerCount()).toBe(0);
      expect((await cache.get(user('1'))).status).toBe('miss');
    } finally {
      vi.useRealTimers();
    }
  });

  it('the sweep drops entries whose stale window has passed (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      const cache = GatewayCache.create({ enabled: true, staleFactor: 2, memory: { sweepIntervalMs: 1000 } });
      caches.push(cache);
      await cache.set(user('1'), 'short', 100); // kept 200 ms
      await cache.set(user('2'), 'long', 60_000);
      expect(cache.stats.keys).toBe(2);
      await vi.advanceTimersByTimeAsync(1000);
      expect(cache.stats.keys).toBe(1);
      expect((await cache.get(user('2'))).status).toBe('fresh');
    } finally {
      vi.useRealTimers();
    }
  });

  it('the memory path keeps one envelope: no JSON.stringify or JSON.parse per write or read', async () => {
    const cache = make();
    const stringify = vi.spyOn(JSON, 'stringify');
    const parse = vi.spyOn(JSON, 'parse');
    try {
      await cache.set(user('1'), { name: 'Ada' }, 1000);
      await cache.setMany([
        { key: user('2'), value: { name: 'Bob' }, ttlMs: 1000 },
        { key: comments('2'), value: [], ttlMs: 1000 },
      ]);
      expect(await cache.get(user('1'))).toEqual({ status: 'fresh', value: { name: 'Ada' }, freshUntil: clock + 1000 });
      expect((await cache.getMany([user('2'), comments('2')])).map((l) => l.status)).toEqual(['fresh', 'fresh']);
      expect(stringify).not.toHaveBeenCalled();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
      parse.mockRestore();
    }
  });

  it('stays bounded under unbounded key churn', async () => {
    const cache = make({ memory: { maxEntries: 500, sweepIntervalMs: 0 } });
    for (let i = 0; i < 5000; i++) await cache.set(user(`u${i}`), { i, pad: 'x'.repeat(50) }, 60_000);
    expect(cache.stats.keys).toBe(500);
    expect((await cache.get(user('u4999'))).status).toBe('fresh');
    expect((await cache.get(user('u0'))).status).toBe('miss');
  });
});
