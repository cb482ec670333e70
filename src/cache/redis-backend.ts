import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';
import { dependsOn, encodedService } from './cache-key.js';
import { plainJson } from './plain-json.js';

/** Connection settings of the Redis cache. */
export interface RedisCacheOptions {
  /** How long `ready()` waits for the first connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** The most one cache read or write may take before it counts as a miss / is dropped. Default 500 ms. */
  commandTimeoutMs?: number;
}

/** One write of {@link RedisBackend.setMany} (and of the memory backend). */
export interface StoreWrite {
  key: string;
  value: unknown;
  ttl: number;
}

type RedisClient = ReturnType<typeof createClient>;

// Redis SCAN MATCH is a glob: its metacharacters in a namespace or service name must be literal.
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The Redis side of the gateway cache: a Keyv over @keyv/redis, plus the SCAN-based
 * clear/count Keyv has no API for. Keys are `{namespace}::{storage key}` (@keyv/redis's
 * prefix; Keyv's own prefixing is off so it is not applied twice).
 */
export class RedisBackend {
  readonly #keyv: Keyv;
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #namespace: string;
  readonly #connected: Promise<void>;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;

  constructor(url: string, namespace: string, opts: RedisCacheOptions, onError: (err: unknown) => void) {
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? 500;
    this.#client = createClient({
      url,
      // A cache must fail fast: while disconnected a command errors at once (a miss) instead of
      // queueing until Redis is back.
      disableOfflineQueue: true,
      // node-redis's own command timeout only covers the wait to be written to the socket (it
      // is dropped once sent), so a Redis that stops answering is bounded by #bounded() below.
      commandOptions: { timeout: this.#commandTimeoutMs },
      socket: {
        connectTimeout: this.#connectTimeoutMs,
        // Never gives up (the cache heals when Redis returns). Capped low because the client's
        // wait between attempts is a ref'ed timer that outlives close().
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) + Math.floor(Math.random() * 100),
      },
    });
    // Without a listener an 'error' event would crash the process.
    this.#client.on('error', onError);
    const store = new KeyvRedis(this.#client, { namespace, throwOnErrors: true });
    this.#prefix = `${namespace}${store.keyPrefixSeparator}`;
    this.#namespace = namespace;
    this.#keyv = new Keyv({ store, namespace, useKeyPrefix: false, throwOnErrors: true, ...plainJson });
    // Connected here rather than lazily by @keyv/redis, whose getClient() re-adds its listeners
    // on each connect and waits without bound while Redis is down.
    this.#connected = this.#client.connect().then(() => undefined);
    this.#connected.catch(() => undefined); // reported through the 'error' listener and ready()
  }

  /** Whether the connection to Redis is up now (node-redis reconnects by itself after an outage). */
  get connected(): boolean {
    return this.#client.isReady;
  }

  /**
   * Takes a lease on `key` for `ttlMs` (SET NX PX), outside the cache's keys (a clear keeps it).
   * True when this caller got it, false when someone holds it.
   */
  async claim(key: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#bounded(
      this.#client.set(`${this.#namespace}-lease:${key}`, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
    return reply === 'OK';
  }

  /** One PING (fails at once while disconnected: no offline queue). */
  async ping(): Promise<void> {
    await this.#client.ping();
  }

  /** Resolves once connected; rejects if that takes longer than `connectTimeoutMs`. */
  async ready(): Promise<void> {
    if (this.#client.isReady) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis cache not reachable within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.#connected, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get(key: string): Promise<unknown> {
    return this.#bounded(this.#keyv.get(key));
  }

  /** One MGET. */
  getMany(keys: string[]): Promise<unknown[]> {
    return this.#bounded(this.#keyv.getMany(keys));
  }

  async set(key: string, value: unknown, ttl: number): Promise<void> {
    await this.#bounded(this.#keyv.set(key, value, ttl));
  }

  /** One MULTI/EXEC. */
  async setMany(entries: StoreWrite[]): Promise<void> {
    await this.#bounded(this.#keyv.setMany(entries));
  }

  async delete(key: string): Promise<void> {
    await this.#bounded(this.#keyv.delete(key));
  }

  /** Removes every entry of the namespace, or those depending on `service`; returns how many. */
  async clear(service?: string): Promise<number> {
    const base = globEscape(this.#prefix);
    const match = service === undefined ? `${base}*` : `${base}*${globEscape(encodedService(service))}@*`;
    let removed = 0;
    for await (const keys of this.#scan(match)) {
      // The glob can over-match (a longer service name ending the same way); the parse cannot.
      const doomed = service === undefined ? keys : keys.filter((k) => dependsOn(k.slice(this.#prefix.length), service));
      if (doomed.length > 0) removed += await this.#bounded(this.#client.unlink(doomed));
    }
    return removed;
  }

  /** Keys in the namespace (SCAN may report a key twice while Redis rehashes: approximate). */
  async countKeys(): Promise<number> {
    let n = 0;
    for await (const keys of this.#scan(`${globEscape(this.#prefix)}*`)) n += keys.length;
    return n;
  }

  /** Closes the connection (or stops reconnecting); idempotent. */
  async dispose(): Promise<void> {
    if (!this.#client.isOpen) return;
    if (this.#client.isReady) {
      // close() lets pending writes finish, but waits forever on a Redis that stopped answering.
      await this.#bounded(this.#client.close()).catch(() => undefined);
    }
    if (this.#client.isOpen) this.#client.destroy();
  }

  async #bounded<T>(op: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#commandTimeoutMs} ms`)), this.#commandTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([op, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // SCAN, never KEYS: KEYS blocks Redis for the whole keyspace walk.
  async *#scan(match: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const reply = await this.#bounded(this.#client.scan(cursor, { MATCH: match, COUNT: 1000 }));
      cursor = String(reply.cursor);
      yield reply.keys;
    } while (cursor !== '0');
  }
}
