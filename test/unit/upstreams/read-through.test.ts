import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayCache, type CacheKey } from '../../../src/cache/index.js';
import { GatewayError } from '../../../src/errors/index.js';
import { readThrough, valueOf, type ReadThroughOptions } from '../../../src/upstreams/index.js';

/**
 * Freshness goes up, not down. A read reports what it found (value, stale, fresh-until,
 * error) and never rejects; nothing in upstreams/ is told about the response being built.
 */
describe('readThrough reports what it found', () => {
  let clock = 1_000_000;
  const caches: GatewayCache[] = [];
  const key = (id: string): CacheKey => ({ kind: 'user', id, deps: [{ service: 'auth', version: '1.0.0' }] });
  const make = () => {
    const c = GatewayCache.create({ enabled: true, staleFactor: 10, now: () => clock });
    caches.push(c);
    return c;
  };
  const read = (
    cache: GatewayCache,
    keys: string[],
    fetch: ReadThroughOptions<string>['fetch'],
    more: Partial<ReadThroughOptions<string>> = {},
  ) => readThrough<string>({ cache, keys, cacheKey: key, ttlMs: 1000, fetch, ...more });
  afterEach(async () => {
    for (const c of caches.splice(0)) await c.dispose();
    clock = 1_000_000;
  });

  it('fetched values are fresh for the ttl, cached hits until their entry ends, unknown ones not at all', async () => {
    const cache = make();
    const first = await read(cache, ['a', 'nobody'], async () => new Map([['a', 'A']]));
    expect(first).toEqual([
      { value: 'A', stale: false, freshUntil: clock + 1000 },
      { value: null, stale: false, freshUntil: 0 },
    ]);
    const storedUntil = clock + 1000;
    clock += 400;
    const hit = await read(cache, ['a'], async () => {
      throw new Error('not called');
    });
    expect(hit).toEqual([{ value: 'A', stale: false, freshUntil: storedUntil }]);
  });

  it('a failed fetch never rejects: a stale stand-in carries the error, the rest is the error alone', async () => {
    const cache = make();
    await read(cache, ['a'], async () => new Map([['a', 'A']]));
    clock += 2000; // past fresh, inside the stale window
    const down = new GatewayError('SERVICE_UNAVAILABLE', { service: 'auth' });
    let fallbacks = 0;
    const reads = await read(cache, ['a', 'b'], async () => Promise.reject(down), { onStale: () => fallbacks++ });
    expect(reads).toEqual([
      { value: 'A', stale: true, freshUntil: 0, error: down },
      { value: null, stale: false, freshUntil: 0, error: down },
    ]);
    expect(fallbacks).toBe(1);
    expect(valueOf(reads[0]!)).toBe('A');
    expect(() => valueOf(reads[1]!)).toThrow(down);
  });

  it('a value built from other reads is never fresher than they are; keepStale: false leaves no stand-in', async () => {
    const cache = make();
    const [built] = await read(cache, ['d'], async () => new Map([['d', 'D']]), {
      ingredientsFreshUntil: () => clock + 300,
      keepStale: false,
    });
    expect(built!.freshUntil).toBe(clock + 300);
    clock += 2000;
    const [again] = await read(cache, ['d'], async () => Promise.reject(new GatewayError('UPSTREAM_ERROR')), { keepStale: false });
    expect(again!.stale).toBe(false);
    expect(again!.value).toBeNull();
  });

  it('with the cache off nothing is kept and nothing claims to be reusable', async () => {
    const cache = GatewayCache.create({ enabled: false });
    caches.push(cache);
    expect(await read(cache, ['a'], async () => new Map([['a', 'A']]))).toEqual([{ value: 'A', stale: false, freshUntil: 0 }]);
    expect(cache.stats.misses).toBe(0);
  });
});

it('upstreams/ never sees the whole-response cache hint', () => {
  const dir = join(import.meta.dirname, '../../../src/upstreams');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/CacheHint|cacheHint/);
});
