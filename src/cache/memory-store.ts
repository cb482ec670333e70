import { LRUCache } from 'lru-cache';

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used go first. Default 50 000. */
  maxEntries?: number;
  /** Most bytes kept (key length + serialized value length, approximate). Default 64 MiB. */
  maxBytes?: number;
  /** How often expired entries are swept; 0 disables the sweep. Default 60 000 ms. */
  sweepIntervalMs?: number;
  /** Clock of the expiry, for fake clocks. Default `Date.now`. */
  now?: () => number;
}

interface Slot {
  value: string;
  /** `Infinity` when stored without a ttl. */
  expiresAt: number;
}

/**
 * A bounded in-process store for Keyv (`new Keyv({ store })`): LRU by entry count and by
 * bytes, and a periodic sweep of expired entries so key churn cannot grow the heap.
 *
 * Why lru-cache: it is a proven O(1) LRU with `max` + `maxSize`/`sizeCalculation`, which is
 * the part worth not hand-writing. Why not its `ttl`/`purgeStale()`: its clock is the
 * `performance` object captured when the module loads (fake timers cannot drive it, and it is
 * not the `Date.now()` Keyv stamps its envelopes with), and it arms a timer per read to
 * debounce that clock. Expiry is therefore kept here, from the ttl Keyv passes to `set`, so
 * the sweep never has to parse a serialized value.
 */
export class MemoryStore {
  /** Written by Keyv; keys reaching this store are already complete. */
  namespace?: string;
  readonly #lru: LRUCache<string, Slot>;
  readonly #now: () => number;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    const maxEntries = opts.maxEntries ?? 50_000;
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#now = opts.now ?? Date.now;
    this.#lru = new LRUCache<string, Slot>({
      max: maxEntries,
      maxSize: maxBytes,
      // An entry bigger than maxBytes on its own is refused (lru-cache's default maxEntrySize).
      sizeCalculation: (slot, key) => Math.max(1, key.length + slot.value.length),
    });
    const every = opts.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), every);
      // A cache sweep must never keep the process alive.
      this.#sweepTimer.unref();
    }
  }

  /** The serialized value, or `undefined` when absent or expired. Counts as a use for LRU. */
  get(key: string): string | undefined {
    const slot = this.#lru.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#now()) {
      this.#lru.delete(key);
      return undefined;
    }
    return slot.value;
  }

  /**
   * Stores a serialized value; `ttl` in ms (absent or 0: until evicted). Returns `false` when
   * the entry alone exceeds `maxBytes` and was not stored.
   */
  set(key: string, value: string, ttl?: number): boolean {
    const expiresAt = typeof ttl === 'number' && ttl > 0 ? this.#now() + ttl : Infinity;
    this.#lru.set(key, { value: String(value), expiresAt });
    return this.#lru.has(key);
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  has(key: string): boolean {
    const slot = this.#lru.peek(key);
    return slot !== undefined && slot.expiresAt > this.#now();
  }

  /** A snapshot of the keys of live entries, most recently used first. */
  keys(): string[] {
    const now = this.#now();
    const live: string[] = [];
    for (const [key, slot] of this.#lru.entries()) if (slot.expiresAt > now) live.push(key);
    return live;
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#lru.size;
  }

  /** Approximate bytes held (always ≤ `maxBytes`). */
  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** Removes expired entries now; returns how many. */
  sweep(): number {
    const now = this.#now();
    const expired: string[] = [];
    // Collected first: deleting while lru-cache walks its list could skip entries.
    for (const [key, slot] of this.#lru.entries()) if (slot.expiresAt <= now) expired.push(key);
    for (const key of expired) this.#lru.delete(key);
    return expired.length;
  }

  /** Stops the sweep timer; the entries stay readable. Idempotent. */
  dispose(): void {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }
}
