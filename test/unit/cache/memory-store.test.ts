import { Keyv } from 'keyv';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../../src/cache/index.js';

describe('MemoryStore', () => {
  const stores: MemoryStore[] = [];
  const make = (...args: ConstructorParameters<typeof MemoryStore>) => {
    const s = new MemoryStore(...args);
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
      store.set(`auth@1.0.0:user:${i}`, value, 60_000);
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
    expect(store.get('auth@1.0.0:user:199999')).toBe(value);
    expect(store.get('auth@1.0.0:user:0')).toBeUndefined();
  });

  it('with the defaults, 200 000 small keys keep at most 50 000 entries and 64 MiB', () => {
    const store = make({ sweepIntervalMs: 0 });
    for (let i = 0; i < 200_000; i++) store.set(`k${i}`, `{"value":${i}}`);
    expect(store.size).toBe(50_000);
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
  });

  it('evicts the least recently used entry first', () => {
    const store = make({ maxEntries: 2, sweepIntervalMs: 0 });
    store.set('a', '1');
    store.set('b', '2');
    store.get('a');
    store.set('c', '3');
    expect(store.keys().sort()).toEqual(['a', 'c']);
  });

  it('refuses an entry bigger than maxBytes on its own', () => {
    const store = make({ maxBytes: 100, sweepIntervalMs: 0 });
    expect(store.set('big', 'x'.repeat(200))).toBe(false);
    expect(store.set('small', 'x')).toBe(true);
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
      store.set('short', 'a', 1000);
      store.set('long', 'b', 120_000);
      store.set('forever', 'c');
      vi.advanceTimersByTime(1000);
      expect(store.get('short')).toBeUndefined();
      expect(store.has('long')).toBe(true);
      store.set('short2', 'd', 1000);
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

    it('works as a Keyv store, honouring Keyv ttls', async () => {
      const store = make({ sweepIntervalMs: 1000 });
      const keyv = new Keyv({ store, useKeyPrefix: false });
      await keyv.set('k', { a: 1 }, 500);
      expect(await keyv.get('k')).toEqual({ a: 1 });
      expect(await keyv.has('k')).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect(store.size).toBe(0);
      expect(await keyv.get('k')).toBeUndefined();
      await keyv.set('k2', 'v');
      expect(await keyv.delete('k2')).toBe(true);
      await keyv.set('k3', 'v');
      await keyv.clear();
      expect(store.size).toBe(0);
    });
  });
});
