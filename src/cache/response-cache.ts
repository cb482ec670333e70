import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { GatewayCache } from './gateway-cache.js';
import type { CacheDependency, CacheKey } from './cache-key.js';

/**
 * What one request's execution learned about whether its response may be reused: every
 * ingredient read reports how long it stays fresh, and anything that must not be reused
 * (a stale stand-in, an unknown id, an error, a root field outside the cacheable ones)
 * makes the whole response uncacheable.
 */
export class CacheHint {
  #freshUntil = Infinity;
  #cacheable = true;

  /** An ingredient fresh until `until` (ms since epoch). */
  freshUntil(until: number): void {
    if (until < this.#freshUntil) this.#freshUntil = until;
  }

  /** An ingredient (or the operation itself) that must not be reused. */
  uncacheable(): void {
    this.#cacheable = false;
  }

  /** How long the response may be reused from `now`: 0 when it may not be. */
  ttlMs(now: number): number {
    if (!this.#cacheable || this.#freshUntil === Infinity) return 0;
    return Math.max(0, this.#freshUntil - now);
  }
}

/** A response as sent: replayed byte for byte. */
export interface CachedResponse {
  contentType: string;
  body: string;
}

/** Who asks and what: the parts of a request its response depends on. */
export interface ResponseCacheRequest {
  /** `id:role` of the verified caller, or '' for an anonymous one. */
  caller: string;
  /** The Accept header (it chooses the response's media type). */
  accept: string;
  /** The GraphQL request body, as JSON. */
  body: string;
}

/**
 * Whole GraphQL responses of queries, in the gateway cache (memory or Redis), keyed by the
 * caller, the Accept header and the request body, and (like every entry there) by the
 * version each service last reported: a new version, `clearCache` (all, or any one
 * service), or the end of the shortest freshness among the response's ingredients retires
 * it. A hit skips Yoga altogether (parse, validate, execute, serialize), which is most of
 * what a cached dashboard costs; see docs/benchmark.md.
 *
 * Hand-written rather than `@graphql-yoga/plugin-response-cache`: that plugin answers from
 * inside Yoga (after its request parsing and with a serialization per hit), and keys its
 * TTLs by type, while this gateway already knows each ingredient's remaining freshness and
 * which reads were stale, and its entries must follow service versions and `clearCache`.
 *
 * Each caller holds at most `maxPerCaller` entries (RESPONSE_CACHE_MAX_PER_PRINCIPAL): storing
 * one more deletes that caller's least recently used one, so varying the body cannot fill the
 * shared cache and push the other callers' responses out. The bookkeeping is in-process (per
 * replica with Redis), bounded to the `MAX_TRACKED_CALLERS` most recent callers.
 */
export class ResponseCache {
  // The caller of each key handed out, for set() (the route passes the key, not the caller).
  readonly #callerOf = new WeakMap<CacheKey, string>();
  readonly #byCaller = new LRUCache<string, LRUCache<string, CacheKey>>({ max: MAX_TRACKED_CALLERS });

  constructor(
    private readonly cache: GatewayCache,
    private readonly deps: () => readonly CacheDependency[],
    readonly maxBodyBytes: number,
    readonly maxPerCaller = 100,
  ) {}

  /** The entry key of a request; the body is hashed so keys stay short in Redis. */
  key(req: ResponseCacheRequest): CacheKey {
    const digest = createHash('sha256')
      .update(req.caller)
      .update('\n')
      .update(req.accept)
      .update('\n')
      .update(req.body)
      .digest('base64url');
    const key: CacheKey = { kind: 'graphql-response', id: digest, deps: this.deps() };
    this.#callerOf.set(key, req.caller);
    return key;
  }

  /** A fresh response for `key`, or undefined. */
  async get(key: CacheKey): Promise<CachedResponse | undefined> {
    const found = await this.cache.get<CachedResponse>(key);
    if (found.status !== 'fresh') return undefined;
    // A hit makes the entry its caller's most recently used.
    this.#entriesOf(key)?.get(key.id);
    return found.value;
  }

  /** Keeps a response for as long as the hint allows (nothing when it does not, or it is too big). */
  async set(key: CacheKey, response: CachedResponse, hint: CacheHint): Promise<void> {
    const ttl = hint.ttlMs(this.cache.now());
    if (ttl <= 0 || Buffer.byteLength(response.body) > this.maxBodyBytes) return;
    // Never a stale fallback: a failing service is answered by the per-entity stale entries.
    await this.cache.set(key, response, ttl, { keepStale: false });
    const caller = this.#callerOf.get(key);
    if (caller === undefined) return;
    let entries = this.#entriesOf(key);
    if (!entries) {
      entries = new LRUCache<string, CacheKey>({
        max: this.maxPerCaller,
        // Over the share: the caller's least recently used response leaves the shared cache.
        dispose: (evicted, _id, reason) => {
          if (reason === 'evict') void this.cache.delete(evicted);
        },
      });
      this.#byCaller.set(caller, entries);
    }
    entries.set(key.id, key);
  }

  #entriesOf(key: CacheKey): LRUCache<string, CacheKey> | undefined {
    const caller = this.#callerOf.get(key);
    return caller === undefined ? undefined : this.#byCaller.get(caller);
  }
}

/** Callers whose entries are counted; one pushed out of this list keeps its entries until they expire. */
const MAX_TRACKED_CALLERS = 10_000;
