import type { Logger } from 'pino';
import { dependsOn, formatCacheKey, type CacheKey } from './cache-key.js';
import { MemoryStore } from './memory-store.js';
import { RedisBreaker } from './redis-breaker.js';
import { RedisBackend, type RedisCacheOptions, type StoreWrite } from './redis-backend.js';

/** What the cache holds for a key. Times are in ms of the cache's clock (`now`). */
export interface CacheEntry<T> {
  value: T;
  storedAt: number;
  /** Until then the entry is fresh; after it, stale until `staleFactor` × ttl has passed. */
  freshUntil: number;
}

/** What a lookup found: a fresh value, a stale one (usable only if the service fails), or nothing. */
export type CacheLookup<T> =
  { status: 'fresh'; value: T; freshUntil: number } | { status: 'stale'; value: T; storedAt: number } | { status: 'miss' };

/** One entry of {@link GatewayCache.setMany}. */
export interface CacheWrite<T> {
  key: CacheKey;
  value: T;
  /** How long it stays fresh; ≤ 0 means do not cache. */
  ttlMs: number;
  /** `false`: drop it once it is no longer fresh (no stale fallback kept). Default true. */
  keepStale?: boolean;
}

/** Options of {@link GatewayCache.create}. */
export interface GatewayCacheOptions {
  /** `false` (`ORCHESTRATION_CACHE_ENABLED=false`): every get misses and set does nothing. */
  enabled: boolean;
  /** `REDIS_URL`: when set, entries live in Redis, shared by every replica; otherwise in process. */
  redisUrl?: string;
  /** An entry stays usable as a stale fallback for this many times its ttl (`CACHE_STALE_FACTOR`). Default 10. */
  staleFactor?: number;
  /** Prefix of the Redis keys, so several gateways (or test runs) can share one Redis. Default 'gw'. */
  namespace?: string;
  /** Bounds of the in-process store. */
  memory?: { maxEntries?: number; maxBytes?: number; sweepIntervalMs?: number };
  /** Connection settings when `redisUrl` is set. */
  redis?: RedisCacheOptions;
  /**
   * The replica's breaker around Redis (shared with the rate limits and persisted operations, so
   * one failure stops them all waiting). Built here when not given.
   */
  redisBreaker?: RedisBreaker;
  /** Clock of freshness and staleness (for fake clocks). Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

/** Counters of one cache instance. */
export interface GatewayCacheStats {
  /** Fresh lookups. */
  hits: number;
  /** Lookups that found nothing or only a stale entry. */
  misses: number;
  /** Entries held; for Redis the count from the last background SCAN (refreshed at most every 10 s). */
  keys: number;
  /** hits / (hits + misses), 0 before the first lookup. */
  hitRate: number;
  backend: 'memory' | 'redis' | 'disabled';
}

/** What one {@link GatewayCache.clearAll} removed, and where it could not. */
export interface CacheClearResult {
  /** Entries removed, all tiers together. */
  removed: number;
  /** Entries removed from this replica's in-process tier (the whole cache without Redis; the fallback tier with it). */
  local: number;
  /**
   * The shared Redis tier: `cleared`, `unreachable` (Redis down: nothing there was removed, and
   * the entries it holds serve again once it is back, unless cleared then), or `off` (no `REDIS_URL`).
   */
  shared: 'cleared' | 'unreachable' | 'off';
}

/** The one envelope of an entry: held as is in memory, as JSON in Redis. */
interface StoredEntry<T> extends CacheEntry<T> {
  /** The end of its stale window: gone after this. */
  expiresAt: number;
}

interface Backend {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<unknown>;
  getMany(keys: string[]): Promise<unknown[]>;
  set(key: string, value: unknown, ttl: number): Promise<void>;
  setMany(entries: StoreWrite[]): Promise<void>;
  delete(key: string): Promise<void>;
  clear(service?: string): Promise<number>;
  countKeys(): Promise<number>;
  ready(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The in-process backend: the store holds each StoredEntry object itself. No Keyv here: its
 * envelope, serialization and expiry check would wrap the one this cache already keeps.
 */
class MemoryBackend implements Backend {
  readonly kind = 'memory';

  constructor(readonly store: MemoryStore<StoredEntry<unknown>>) {}

  async get(key: string): Promise<unknown> {
    return this.store.get(key);
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    return keys.map((key) => this.store.get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    this.store.set(key, value as StoredEntry<unknown>);
  }

  async setMany(entries: StoreWrite[]): Promise<void> {
    for (const e of entries) this.store.set(e.key, e.value as StoredEntry<unknown>);
  }

  async delete(key: string): Promise<void> {
    this.store.delete(key);
  }

  async clear(service?: string): Promise<number> {
    if (service === undefined) {
      this.store.sweep();
      const n = this.store.size;
      this.store.clear();
      return n;
    }
    let removed = 0;
    for (const key of this.store.keys()) if (dependsOn(key, service) && this.store.delete(key)) removed++;
    return removed;
  }

  async countKeys(): Promise<number> {
    return this.store.keys().length;
  }

  async ready(): Promise<void> {}

  async dispose(): Promise<void> {
    this.store.dispose();
  }
}

class RedisCacheBackend extends RedisBackend implements Backend {
  readonly kind = 'redis';
}

const MISS: CacheLookup<never> = Object.freeze({ status: 'miss' });
const LOG_EVERY_MS = 10_000;
const KEY_COUNT_EVERY_MS = 10_000;

/**
 * The cache of upstream reads: a bounded in-process store, or Keyv over Redis when a URL is
 * given, with stale-if-error. An entry is fresh for its ttl and then kept, stale, for
 * `staleFactor` × ttl in all, so a failing service can still be answered from it.
 *
 * Entries are keyed by the version each service they depend on last reported (see
 * {@link formatCacheKey}), so a new version never reads what the old one produced.
 *
 * The cache never fails a read: a Redis error is logged and counts as a miss, a failed write
 * is logged and dropped. Only the admin `clear` rejects, so nobody is told entries were
 * removed when they were not.
 */
export class GatewayCache {
  readonly #backend: Backend | null;
  /** With Redis: the in-process tier that answers while Redis is down (dropped when it returns). */
  readonly #fallback: MemoryBackend | null = null;
  readonly #breaker: RedisBreaker | null = null;
  readonly #staleFactor: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  #hits = 0;
  #misses = 0;
  #keys = 0;
  #keysCountedAt = -Infinity;
  #counting = false;
  #lastLogAt = -Infinity;
  #suppressed = 0;
  #disposed = false;

  private constructor(opts: GatewayCacheOptions) {
    const factor = opts.staleFactor ?? 10;
    if (!Number.isFinite(factor) || factor < 1) throw new RangeError(`staleFactor must be a number ≥ 1, got ${factor}`);
    this.#staleFactor = factor;
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    // Built last: a Redis client must not be left connecting when an option above is refused.
    if (!opts.enabled) {
      this.#backend = null;
    } else if (opts.redisUrl) {
      const breaker = opts.redisBreaker ?? new RedisBreaker({ logger: opts.logger });
      // A client error (connection lost, refused) opens the breaker before any request waits on it.
      const onError = (err: unknown): void => breaker.trip(err);
      const backend = new RedisCacheBackend(opts.redisUrl, opts.namespace ?? 'gw', opts.redis ?? {}, onError);
      breaker.register(() => backend.ping());
      this.#backend = backend;
      this.#breaker = breaker;
      this.#fallback = new MemoryBackend(new MemoryStore({ ...opts.memory, now: this.#now }));
      // What this replica cached alone while Redis was down is dropped once it is back: the shared
      // tier is the truth again (and a clear another replica made meanwhile must not be missed).
      breaker.onChange((up) => {
        if (up) void this.#fallback?.clear();
      });
    } else {
      this.#backend = new MemoryBackend(new MemoryStore({ ...opts.memory, now: this.#now }));
    }
  }

  /** Builds the cache: disabled, in memory, or on Redis when `redisUrl` is set. */
  static create(opts: GatewayCacheOptions): GatewayCache {
    return new GatewayCache(opts);
  }

  /** False when it was built disabled (or is disposed): every get misses, every set is dropped. */
  get enabled(): boolean {
    return this.#usable();
  }

  /** The cache's clock (ms): what `freshUntil` is measured against. */
  now(): number {
    return this.#now();
  }

  /** Looks a key up. Counts a hit only when fresh. */
  async get<T>(key: CacheKey): Promise<CacheLookup<T>> {
    if (!this.#usable()) return this.#count(MISS);
    let stored: unknown;
    try {
      const k = formatCacheKey(key);
      stored = await this.#op((b) => b.get(k));
    } catch (err) {
      this.#warn(err, 'cache read failed; treated as a miss');
    }
    return this.#count(this.#classify<T>(stored));
  }

  /** Looks several keys up in one round trip; the answers are in the order of `keys`. */
  async getMany<T>(keys: readonly CacheKey[]): Promise<CacheLookup<T>[]> {
    if (keys.length === 0) return [];
    let stored: unknown[] = [];
    if (this.#usable()) {
      try {
        const ks = keys.map(formatCacheKey);
        stored = await this.#op((b) => b.getMany(ks));
      } catch (err) {
        this.#warn(err, 'cache read failed; treated as a miss');
      }
    }
    return keys.map((_, i) => this.#count(this.#classify<T>(stored[i])));
  }

  /** Stores `value`, fresh for `ttlMs` and then (unless `keepStale` is false) stale until `staleFactor` × `ttlMs`. */
  async set<T>(key: CacheKey, value: T, ttlMs: number, opts: { keepStale?: boolean } = {}): Promise<void> {
    await this.setMany([{ key, value, ttlMs, keepStale: opts.keepStale }]);
  }

  /** Stores several entries (one round trip on Redis). */
  async setMany<T>(entries: readonly CacheWrite<T>[]): Promise<void> {
    if (!this.#usable()) return;
    const now = this.#now();
    const writes = entries
      .filter((e) => Number.isFinite(e.ttlMs) && e.ttlMs > 0)
      .map((e) => {
        const keepMs = e.keepStale === false ? e.ttlMs : e.ttlMs * this.#staleFactor;
        const entry: StoredEntry<T> = { value: e.value, storedAt: now, freshUntil: now + e.ttlMs, expiresAt: now + keepMs };
        return { key: formatCacheKey(e.key), value: entry, ttl: keepMs };
      });
    if (writes.length === 0) return;
    try {
      const [one] = writes;
      if (writes.length === 1) await this.#op((b) => b.set(one!.key, one!.value, one!.ttl));
      else await this.#op((b) => b.setMany(writes));
    } catch (err) {
      this.#warn(err, 'cache write failed; entry dropped');
    }
  }

  /** Removes one entry (a failure is logged: the entry then expires as it would have). */
  async delete(key: CacheKey): Promise<void> {
    if (!this.#usable()) return;
    try {
      const k = formatCacheKey(key);
      await this.#op((b) => b.delete(k));
    } catch (err) {
      this.#warn(err, 'cache delete failed; the entry expires by itself');
    }
  }

  /**
   * Removes every entry, or with `service` every entry built (even partly) from that service's
   * answers, whatever version it was cached under. Returns how many were removed. Rejects when
   * the backend cannot be reached.
   */
  async clear(service?: string): Promise<number> {
    if (!this.#usable()) return 0;
    const result = await this.clearAll(service);
    if (result.shared === 'unreachable') throw new Error('Redis is unreachable: the shared cache was not cleared');
    return result.removed;
  }

  /**
   * Like {@link clear}, tier by tier, never rejecting: the in-process tier is always cleared;
   * the shared one only when Redis answers, and the result says which.
   */
  async clearAll(service?: string): Promise<CacheClearResult> {
    if (!this.#usable()) return { removed: 0, local: 0, shared: this.#breaker ? 'cleared' : 'off' };
    this.#keysCountedAt = -Infinity;
    if (!this.#fallback) {
      const local = await this.#backend!.clear(service);
      return { removed: local, local, shared: 'off' };
    }
    const local = await this.dropLocal(service);
    let shared: CacheClearResult['shared'] = 'unreachable';
    let removed = local;
    if (this.#breaker!.up) {
      try {
        // A SCAN walk: bounded per command by the backend, not by the breaker's per-request bound.
        removed += await this.#backend!.clear(service);
        shared = 'cleared';
      } catch (err) {
        this.#breaker!.trip(err);
      }
    }
    return { removed, local, shared };
  }

  /**
   * Drops this replica's in-process tier (all, or what depends on `service`), leaving Redis
   * alone: what a replica does when another one cleared the cache. Returns how many were dropped.
   */
  async dropLocal(service?: string): Promise<number> {
    const local = this.#fallback ?? (this.#backend instanceof MemoryBackend ? this.#backend : null);
    return local ? local.clear(service) : 0;
  }

  /**
   * A short lease shared by every replica (SET NX PX in Redis): true for the one caller that
   * gets `key` within `ttlMs`. Always true without Redis or while it is down (a duplicate beats
   * a lost alert).
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const backend = this.#backend;
    if (!(backend instanceof RedisCacheBackend) || !this.#breaker || this.#disposed) return true;
    return this.#breaker.run(
      () => backend.claim(key, ttlMs),
      () => true,
    );
  }

  /** The breaker around Redis (`undefined` without Redis). */
  get redisBreaker(): RedisBreaker | undefined {
    return this.#breaker ?? undefined;
  }

  /** Counters; `keys` is approximate on Redis. */
  /** Whether Redis answers now: `undefined` when this cache does not use Redis. */
  get redisConnected(): boolean | undefined {
    return this.#backend instanceof RedisCacheBackend ? this.#backend.connected && this.#breaker!.up : undefined;
  }

  get stats(): GatewayCacheStats {
    const total = this.#hits + this.#misses;
    return {
      hits: this.#hits,
      misses: this.#misses,
      keys: this.#keyCount(),
      hitRate: total === 0 ? 0 : this.#hits / total,
      backend: this.#backend?.kind ?? 'disabled',
    };
  }

  /** Counts live entries now (a SCAN on Redis). */
  async keyCount(): Promise<number> {
    if (!this.#usable()) return 0;
    this.#keys = this.#breaker?.up === false ? await this.#fallback!.countKeys() : await this.#backend!.countKeys();
    this.#keysCountedAt = Date.now();
    return this.#keys;
  }

  /**
   * Resolves once the backend is usable. On Redis, rejects when it cannot connect within
   * `redis.connectTimeoutMs`; the cache then keeps reconnecting and answers misses meanwhile.
   */
  async ready(): Promise<void> {
    await this.#backend?.ready();
  }

  /** Closes Redis connections and timers. Afterwards every get misses. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#breaker?.close();
    await this.#fallback?.dispose();
    await this.#backend?.dispose();
  }

  /** `fn` on Redis through the breaker (the fallback tier at once while Redis is down), or on the memory backend. */
  #op<T>(fn: (backend: Backend) => Promise<T>): Promise<T> {
    const backend = this.#backend!;
    if (!this.#breaker) return fn(backend);
    return this.#breaker.run(
      () => fn(backend),
      () => fn(this.#fallback!),
    );
  }

  #usable(): boolean {
    return this.#backend !== null && !this.#disposed;
  }

  #classify<T>(stored: unknown): CacheLookup<T> {
    if (!isStoredEntry<T>(stored)) return MISS;
    const now = this.#now();
    if (now < stored.freshUntil) return { status: 'fresh', value: stored.value, freshUntil: stored.freshUntil };
    if (now < stored.expiresAt) return { status: 'stale', value: stored.value, storedAt: stored.storedAt };
    return MISS;
  }

  #count<T>(lookup: CacheLookup<T>): CacheLookup<T> {
    if (lookup.status === 'fresh') this.#hits++;
    else this.#misses++;
    return lookup;
  }

  #keyCount(): number {
    const backend = this.#backend;
    if (!backend || this.#disposed) return 0;
    if (backend instanceof MemoryBackend) return backend.store.size;
    // A getter cannot wait for Redis: answer the last count and refresh it in the background.
    if (!this.#counting && Date.now() - this.#keysCountedAt >= KEY_COUNT_EVERY_MS) {
      this.#counting = true;
      this.keyCount()
        .catch((err: unknown) => this.#warn(err, 'cache key count failed'))
        .finally(() => {
          this.#counting = false;
        });
    }
    return this.#keys;
  }

  // An unreachable Redis fails every request's lookups; one line per interval is enough.
  #warn(err: unknown, msg: string): void {
    if (this.#disposed) return;
    const now = Date.now();
    if (now - this.#lastLogAt < LOG_EVERY_MS) {
      this.#suppressed++;
      return;
    }
    this.#logger?.warn({ err, suppressed: this.#suppressed }, msg);
    this.#lastLogAt = now;
    this.#suppressed = 0;
  }
}

function isStoredEntry<T>(v: unknown): v is StoredEntry<T> {
  if (typeof v !== 'object' || v === null || !('value' in v)) return false;
  const e = v as Partial<StoredEntry<T>>;
  return typeof e.storedAt === 'number' && typeof e.freshUntil === 'number' && typeof e.expiresAt === 'number';
}
