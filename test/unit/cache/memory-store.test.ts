import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, type MemoryStoreOptions } from '../../../src/cache/index.js';
import { approxBytes } from '../../../src/cache/memory-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** The store as these tests drive it: string values with a ttl (none: until evicted), sized by their length. */
function stringStore(opts: MemoryStoreOptions<Entry>) {
  const store = new MemoryStore<Entry>({ sizeOf: (e) => e.value.length, ...opts });
  const now = opts.now ?? Date.now;
  return Object.assign(store, {
    put: (key: string, value: string, ttl?: number) => store.set(key, { value, expiresAt: ttl ? now() + ttl : Infinity }),
    read: (key: string) => store.get(key)?.value,
  });
}

describe('MemoryStore', () => {
  const stores: MemoryStore<Entry>[] = [];
  const make = (opts: MemoryStoreOptions<Entry> = {}) => {
    const s = stringStore(opts);
    stores.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of stores.splice(0)) s.dispose();
  });

  it('stays within maxEntries and maxBytes over 200 000 distinct keys', () => {
    const store = make({ maxEntries: 10_000, maxBytes: 1_000_000, sweepIntervalMs: 0 });
    const value = JSON.stringify({ value: { name: 'x'.repeat(100) }, expires: Date.now() + 60_000 });
    let peakEntries = 0;
    let peakBytes = 0;
    for (let i = 0; i < 200_000; i++) {
      store.put(`auth@1.0.0:user:${i}`, value, 60_000);
      if (i % 1000 === 0) {
        peakEntries = Math.max(peakEntries, store.size);
        peakBytes = Math.max(peakBytes, store.bytes);
      }
    }
    expect(peakEntries).toBeLessThanOrEqual(10_000);
    expect(store.size).toBeLessThanOrEqual(10_000);
    expect(peakBytes).toBeLessThanOrEqual(1_000_000);
    expect(store.bytes).toBeLessThanOrEqual(1_000_000);
    // Bytes, not the count, were the binding limit here: entries are ~150 bytes.
    expect(store.size).toBeLessThan(10_000);
    expect(store.read('auth@1.0.0:user:199999')).toBe(value);
    expect(store.read('auth@1.0.0:user:0')).toBeUndefined();
  });

  it('with the defaults, 200 000 small keys keep at most 50 000 entries and 64 MiB', () => {
    const store = make({ sweepIntervalMs: 0 });
    for (let i = 0; i < 200_000; i++) store.put(`k${i}`, `{"value":${i}}`);
    expect(store.size).toBe(50_000);
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
  });

  it('evicts the least recently used entry first', () => {
    const store = make({ maxEntries: 2, sweepIntervalMs: 0 });
    store.put('a', '1');
    store.put('b', '2');
    store.read('a');
    store.put('c', '3');
    expect(store.keys().sort()).toEqual(['a', 'c']);
  });

  it('refuses an entry bigger than maxBytes on its own', () => {
    const store = make({ maxBytes: 100, sweepIntervalMs: 0 });
    expect(store.put('big', 'x'.repeat(200))).toBe(false);
    expect(store.put('small', 'x')).toBe(true);
    expect(store.size).toBe(1);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => make({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => make({ maxBytes: 1.5 })).toThrow(RangeError);
  });

  describe('expiry (fake timers)', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('an expired entry is never read, and the sweep removes it along with its bytes', () => {
      const store = make({ sweepIntervalMs: 60_000 });
      store.put('short', 'a', 1000);
      store.put('long', 'b', 120_000);
      store.put('forever', 'c');
      vi.advanceTimersByTime(1000);
      expect(store.read('short')).toBeUndefined();
      expect(store.has('long')).toBe(true);
      store.put('short2', 'd', 1000);
      expect(store.size).toBe(3);
      vi.advanceTimersByTime(59_000);
      expect(store.keys().sort()).toEqual(['forever', 'long']);
      expect(store.size).toBe(2);
      expect(store.bytes).toBe('forever'.length + 1 + 'long'.length + 1);
      vi.advanceTimersByTime(60_000);
      expect(store.keys()).toEqual(['forever']);
    });

    it('its sweep timer does not hold the process and dispose() clears it', () => {
      const store = make({ sweepIntervalMs: 10 });
      expect(vi.getTimerCount()).toBe(1);
      store.dispose();
      expect(vi.getTimerCount()).toBe(0);
    });

    it("honours each entry's expiry; delete and clear empty it", async () => {
      const store = make({ sweepIntervalMs: 1000 });
      store.put('k', '{"a":1}', 500);
      expect(store.read('k')).toBe('{"a":1}');
      expect(store.has('k')).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.size).toBe(0);
      expect(store.read('k')).toBeUndefined();
      store.put('k2', 'v');
      expect(store.delete('k2')).toBe(true);
      store.put('k3', 'v');
      store.clear();
      expect(store.size).toBe(0);
    });
  });
});

describe('approxBytes', () => {
  it('is close to the JSON length of plain data, without serializing it', () => {
    const samples = [
      { id: 'u1', name: 'Ada Lovelace', email: 'ada@example.com', role: 'user', industryId: 'i3' },
      [{ id: 'c1', userId: 'u1', body: 'x'.repeat(300), createdAt: '2024-01-01T00:00:00Z' }],
      { value: { score: 9, respondedAt: '2024-01-01T00:00:00Z' }, storedAt: 1, freshUntil: 2, expiresAt: 3 },
      'plain',
      null,
    ];
    for (const sample of samples) {
      const json = JSON.stringify(sample).length;
      expect(approxBytes(sample)).toBeGreaterThanOrEqual(json * 0.7);
      expect(approxBytes(sample)).toBeLessThanOrEqual(json * 1.5);
    }
  });
});
