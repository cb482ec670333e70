import type { CacheHint, CacheKey, GatewayCache } from '../cache/index.js';
import { GatewayError } from '../errors/index.js';

/** A value read for one key: `stale` when the service failed and an expired entry stood in. */
export interface Fetched<T> {
  readonly value: T;
  readonly stale: boolean;
  /** The failure the stale value stands in for. */
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
  /** Told how long each value stays fresh, or that one must not be reused (stale, unknown, failed). */
  hint?: CacheHint;
}

/**
 * Cache-aside for a batch of keys with stale-if-error: fresh hits are answered from the
 * cache, the rest fetched in one call; when that call fails, keys with an expired entry
 * still inside its stale window get it (marked stale), the others get the error.
 */
export async function readThrough<V>(opts: ReadThroughOptions<V>): Promise<Array<Fetched<V | null> | GatewayError>> {
  const { cache, keys, hint } = opts;
  // No cache (ORCHESTRATION_CACHE_ENABLED=false): no keys to build, lookups or writes to await.
  if (!cache.enabled) return fetchUncached(opts);
  const lookups = await cache.getMany<V>(keys.map(opts.cacheKey));
  const results: Array<Fetched<V | null> | GatewayError | undefined> = new Array(keys.length);
  const missing: string[] = [];
  lookups.forEach((lookup, i) => {
    if (lookup.status === 'fresh') {
      results[i] = { value: lookup.value, stale: false };
      hint?.freshUntil(lookup.freshUntil);
    } else missing.push(keys[i]!);
  });
  if (missing.length === 0) return results as Array<Fetched<V | null>>;

  let fetched: Map<string, V>;
  try {
    fetched = await opts.fetch(missing);
  } catch (err) {
    hint?.uncacheable();
    const error = asGatewayError(err);
    let served = false;
    lookups.forEach((lookup, i) => {
      if (results[i]) return;
      served ||= lookup.status === 'stale';
      results[i] = lookup.status === 'stale' ? { value: lookup.value, stale: true, error } : error;
    });
    if (served) opts.onStale?.();
    return results as Array<Fetched<V | null> | GatewayError>;
  }

  const cacheable = opts.cacheable ?? ((v: V | null) => v !== null);
  const writes: Array<Promise<void>> = [];
  keys.forEach((key, i) => {
    if (results[i]) return;
    const value = fetched.get(key) ?? null;
    results[i] = { value, stale: false };
    if (cacheable(value)) writes.push(cache.set(opts.cacheKey(key), value, opts.ttlMs));
    else hint?.uncacheable();
  });
  hint?.freshUntil(cache.now() + opts.ttlMs);
  // Cache writes never fail a read (the cache logs and swallows its own errors).
  await Promise.all(writes);
  return results as Array<Fetched<V | null>>;
}

async function fetchUncached<V>(opts: ReadThroughOptions<V>): Promise<Array<Fetched<V | null> | GatewayError>> {
  let fetched: Map<string, V>;
  try {
    fetched = await opts.fetch([...opts.keys]);
  } catch (err) {
    const error = asGatewayError(err);
    return opts.keys.map(() => error);
  }
  return opts.keys.map((key) => ({ value: fetched.get(key) ?? null, stale: false }));
}

/** What a failed fetch reports: its own GatewayError, or the unexpected failure as UPSTREAM_ERROR. */
function asGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('UPSTREAM_ERROR', { cause: err });
}
