import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { RedisBackend } from './redis-backend.js';
import { RedisBreaker } from './redis-breaker.js';

/** Where registered Automatic Persisted Queries live: document text by SHA-256 hex hash. */
export interface PersistedOperationStore {
  readonly kind: 'memory' | 'redis';
  /** The document, or undefined (unknown, or Redis unreachable: the client then sends it again). */
  get(hash: string): Promise<string | undefined>;
  /** Keeps a document; a failed write is logged and dropped (the client registers it again later). */
  set(hash: string, document: string): Promise<void>;
  dispose(): Promise<void>;
}

export interface PersistedOperationStoreOptions {
  /** `REDIS_URL`: when set, documents are kept there, shared by every replica. */
  redisUrl?: string;
  /** Redis key prefix. Default `gw-pq` (outside the gateway cache's `gw`, so a cache clear keeps them). */
  namespace?: string;
  /** Most documents kept in process (the whole store without Redis, a read-through copy with it). Default 1000. */
  maxEntries?: number;
  /** Most characters of documents kept in process. Default 4 MiB. */
  maxBytes?: number;
  /** How long a document stays in Redis after its last registration. Default 24 h. */
  redisTtlMs?: number;
  /** The most one Redis read or write may take (`gateway.md`: never more than 250 ms per request). */
  redisTimeoutMs?: number;
  logger?: Logger;
  /** The replica's breaker around Redis: while open, lookups answer from the in-process copy at once. */
  redisBreaker?: RedisBreaker;
}

const LOG_EVERY_MS = 10_000;

/**
 * A bounded in-process LRU (lru-cache: count and size bounds, nothing worth hand-writing), or
 * Redis (the gateway cache's `RedisBackend`: fail-fast client, bounded commands) with that LRU
 * in front. The in-process copy can never be wrong: a hash names exactly one document, and only
 * verified pairs are stored, so nothing needs invalidating across replicas.
 */
export function createPersistedOperationStore(opts: PersistedOperationStoreOptions = {}): PersistedOperationStore {
  const lru = new LRUCache<string, string>({
    max: opts.maxEntries ?? 1000,
    maxSize: opts.maxBytes ?? 4 * 1024 * 1024,
    sizeCalculation: (document) => Math.max(1, document.length),
  });
  if (!opts.redisUrl) {
    return {
      kind: 'memory',
      get: async (hash) => lru.get(hash),
      set: async (hash, document) => {
        lru.set(hash, document);
      },
      dispose: async () => lru.clear(),
    };
  }

  let lastLogAt = -Infinity;
  let suppressed = 0;
  // An unreachable Redis fails every lookup; one line per interval is enough.
  const warn = (err: unknown, msg: string): void => {
    const now = Date.now();
    if (now - lastLogAt < LOG_EVERY_MS) {
      suppressed++;
      return;
    }
    opts.logger?.warn({ err, suppressed }, msg);
    lastLogAt = now;
    suppressed = 0;
  };
  const timeout = opts.redisTimeoutMs ?? 250;
  const breaker = opts.redisBreaker ?? new RedisBreaker({ logger: opts.logger, timeoutMs: timeout });
  const redis = new RedisBackend(opts.redisUrl, opts.namespace ?? 'gw-pq', { commandTimeoutMs: timeout, connectTimeoutMs: 5000 }, (err) =>
    breaker.trip(err),
  );
  breaker.register(() => redis.ping());
  const ttl = opts.redisTtlMs ?? 24 * 60 * 60 * 1000;
  return {
    kind: 'redis',
    async get(hash) {
      const local = lru.get(hash);
      if (local !== undefined) return local;
      try {
        const stored = await breaker.run(
          () => redis.get(hash),
          () => undefined,
        );
        if (typeof stored !== 'string') return undefined;
        lru.set(hash, stored);
        return stored;
      } catch (err) {
        warn(err, 'persisted query read failed; treated as unknown');
        return undefined;
      }
    },
    async set(hash, document) {
      lru.set(hash, document);
      try {
        await breaker.run(
          () => redis.set(hash, document, ttl),
          () => undefined,
        );
      } catch (err) {
        warn(err, 'persisted query write failed; kept in this process only');
      }
    },
    async dispose() {
      lru.clear();
      if (!opts.redisBreaker) breaker.close();
      await redis.dispose();
    },
  };
}
