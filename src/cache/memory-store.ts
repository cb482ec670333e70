import { LRUCache } from 'lru-cache';

/** What a {@link MemoryStore} keeps: any entry that says when it expires. */
export interface ExpiringEntry {
  /** ms of the store's clock; `Infinity`: kept until evicted. */
  readonly expiresAt: number;
}

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions<E extends ExpiringEntry = ExpiringEntry> {
  /** Most entries kept; the least recently used go first. Default 50 000. */
  maxEntries?: number;
  /** Most bytes kept (key length + `sizeOf` of each entry, approximate). Default 64 MiB. */
  maxBytes?: number;
  /** Approximate bytes of an entry. Default {@link approxBytes} (its size as JSON, without serializing). */
  sizeOf?: (entry: E) => number;
  /** How often expired entries are swept; 0 disables the sweep. Default 60 000 ms. */
  sweepIntervalMs?: number;
  /** Clock of the expiry, for fake clocks. Default `Date.now`. */
  now?: () => number;
}

/**
 * A bounded in-process store of entries, kept as objects (never serialized: the entry the
 * cache builds is the one held, so a write costs no JSON and a read no parse): LRU by entry
 * count and by bytes, and a periodic sweep of expired entries so key churn cannot grow the heap.
 * Entries are shared by every reader: nobody may mutate what `get` returns.
 *
 * Why lru-cache: it is a proven O(1) LRU with `max` + `maxSize`/`sizeCalculation`, which is
 * the part worth not hand-writing. Why not its `ttl`/`purgeStale()`: its clock is the
 * `performance` object captured when the module loads (fake timers cannot drive it, and it is
 * not the cache's `now`), and it arms a timer per read to debounce that clock. Expiry is
 * therefore each entry's own `expiresAt`.
 */
export class MemoryStore<E extends ExpiringEntry = ExpiringEntry> {
  readonly #lru: LRUCache<string, E>;
  readonly #now: () => number;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(opts: MemoryStoreOptions<E> = {}) {
    const maxEntries = opts.maxEntries ?? 50_000;
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#now = opts.now ?? Date.now;
    const sizeOf = opts.sizeOf ?? approxBytes;
    this.#lru = new LRUCache<string, E>({
      max: maxEntries,
      maxSize: maxBytes,
      // An entry bigger than maxBytes on its own is refused (lru-cache's default maxEntrySize).
      sizeCalculation: (entry, key) => Math.max(1, key.length + sizeOf(entry)),
    });
    const every = opts.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), every);
      // A cache sweep must never keep the process alive.
      this.#sweepTimer.unref();
    }
  }

  /** The entry, or `undefined` when absent or expired. Counts as a use for LRU. */
  get(key: string): E | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#lru.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Stores an entry. Returns `false` when it alone exceeds `maxBytes` and was not stored. */
  set(key: string, entry: E): boolean {
    this.#lru.set(key, entry);
    return this.#lru.has(key);
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
  }

  has(key: string): boolean {
    const entry = this.#lru.peek(key);
    return entry !== undefined && entry.expiresAt > this.#now();
  }

  /** A snapshot of the keys of live entries, most recently used first. */
  keys(): string[] {
    const now = this.#now();
    const live: string[] = [];
    for (const [key, entry] of this.#lru.entries()) if (entry.expiresAt > now) live.push(key);
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
    for (const [key, entry] of this.#lru.entries()) if (entry.expiresAt <= now) expired.push(key);
    for (const key of expired) this.#lru.delete(key);
    return expired.length;
  }

  /** Stops the sweep timer; the entries stay readable. Idempotent. */
  dispose(): void {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }
}

/**
 * The approximate size of a plain-data value as JSON (strings by length, numbers 8), walked
 * without serializing it: JSON.stringify would build the whole string only to measure it.
 */
export function approxBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      return 8;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let n = 2;
      if (Array.isArray(value)) {
        for (const item of value) n += approxBytes(item) + 1;
      } else {
        for (const key in value) n += key.length + 4 + approxBytes((value as Record<string, unknown>)[key]);
      }
      return n;
    }
    default:
      return 0;
  }
}
