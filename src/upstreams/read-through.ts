import type { CacheKey, GatewayCache } from '../cache/index.js';
import { GatewayError } from '../errors/index.js';

/**
 * What one read found: the value, whether an expired entry stood in for it, how long it may
 * be reused, and the failure it stands in for. Callers fold it into their answer (GraphQL:
 * `served`); `upstreams/` only reports.
 */
export interface Read<T> {
  /** `null` for an unknown key, or when the read failed and nothing stood in. */
  readonly value: T;
  /** The service failed and an expired entry within its stale window stood in. */
  readonly stale: boolean;
  /**
   * Until when (ms of the cache's clock) the value may be reused; 0 when it may not (stale,
   * unknown, failed, not cached). Absent on a part kept inside a cached composite (a
   * dashboard): the composite's own read carries the freshness.
   */
  readonly freshUntil?: number;
  /** The failure: on its own (value `null`), or the one a stale value stands in for. */
  readonly error?: GatewayError;
}

export interface ReadThroughOptions<V> {
  cache: GatewayCache;
  keys: readonly string[];
  cacheKey: (key: string) => CacheKey;
  ttlMs: number;
  /** Fetches the keys that were not fresh in the cache; a key absent from the map is unknown (`null`). */
  fetch: (keys: string[]) => Promise<Map<string, V>>;
  /** Whether to remember a value (unknown ids are not cached). */
  cacheable?: (value: V | null) => boolean;
  /** Called once per failed fetch that stale entries stood in for (the breaker's `fallbacks` counter). */
  onStale?: () => void;
  /** `false`: the entry is dropped once no longer fresh (never served stale). Default true. */
  keepStale?: boolean;
  /**
   * For a value built from other reads (a dashboard): the end of their shortest freshness
   * (0 when one of them may not be reused). A fetched value is never fresher than that.
   */
  ingredientsFreshUntil?: (value: V) => number;
}

/**
 * Cache-aside for a batch of keys with stale-if-error: fresh hits are answered from the
 * cache, the rest fetched in one call; when that call fails, keys with an expired entry
 * still inside its stale window get it (marked stale), the others the error. Never rejects.
 */
export async function readThrough<V>(opts: ReadThroughOptions<V>): Promise<Array<Read<V | null>>> {
  const { cache, keys } = opts;
  // No cache (ORCHESTRATION_CACHE_ENABLED=false): no keys to build, lookups or writes to await.
  if (!cache.enabled) return fetchUncached(opts);
  const lookups = await cache.getMany<V>(keys.map(opts.cacheKey));
  const results: Array<Read<V | null> | undefined> = new Array(keys.length);
  const missing: string[] = [];
  lookups.forEach((lookup, i) => {
    if (lookup.status === 'fresh') results[i] = { value: lookup.value, stale: false, freshUntil: lookup.freshUntil };
    else missing.push(keys[i]!);
  });
  if (missing.length === 0) return results as Array<Read<V | null>>;

  let fetched: Map<string, V>;
  try {
    fetched = await opts.fetch(missing);
  } catch (err) {
    const error = asGatewayError(err);
    let served = false;
    lookups.forEach((lookup, i) => {
      if (results[i]) return;
      served ||= lookup.status === 'stale';
      results[i] = lookup.status === 'stale' ? { value: lookup.value, stale: true, freshUntil: 0, error } : failed(error);
    });
    if (served) opts.onStale?.();
    return results as Array<Read<V | null>>;
  }

  const cacheable = opts.cacheable ?? ((v: V | null) => v !== null);
  const freshUntil = cache.now() + opts.ttlMs;
  const writes: Array<Promise<void>> = [];
  keys.forEach((key, i) => {
    if (results[i]) return;
    const value = fetched.get(key) ?? null;
    if (!cacheable(value)) {
      results[i] = { value, stale: false, freshUntil: 0 };
      return;
    }
    const ingredients = value === null ? Infinity : (opts.ingredientsFreshUntil?.(value) ?? Infinity);
    results[i] = { value, stale: false, freshUntil: Math.min(freshUntil, ingredients) };
    writes.push(cache.set(opts.cacheKey(key), value, opts.ttlMs, { keepStale: opts.keepStale }));
  });
  // Cache writes never fail a read (the cache logs and swallows its own errors).
  await Promise.all(writes);
  return results as Array<Read<V | null>>;
}

async function fetchUncached<V>(opts: ReadThroughOptions<V>): Promise<Array<Read<V | null>>> {
  let fetched: Map<string, V>;
  try {
    fetched = await opts.fetch([...opts.keys]);
  } catch (err) {
    const read = failed(asGatewayError(err));
    return opts.keys.map(() => read);
  }
  return opts.keys.map((key) => ({ value: fetched.get(key) ?? null, stale: false, freshUntil: 0 }));
}

/** The value of a read, or its failure thrown when nothing stood in for it. */
export function valueOf<T>(read: Read<T>): T {
  if (read.error && read.value === null) throw read.error;
  return read.value;
}

const failed = (error: GatewayError): Read<null> => ({ value: null, stale: false, freshUntil: 0, error });

/** What a failed fetch reports: its own GatewayError, or the unexpected failure as UPSTREAM_ERROR. */
function asGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('UPSTREAM_ERROR', { cause: err });
}
