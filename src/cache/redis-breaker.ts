import type { Logger } from 'pino';

/** Options of {@link RedisBreaker}. */
export interface RedisBreakerOptions {
  logger?: Logger;
  /** The most one Redis command may take before Redis counts as down. Default 200 ms (gateway.md: never 250 ms per request). */
  timeoutMs?: number;
  /** How often a down Redis is probed (PING through every registered client). Default 500 ms. */
  probeIntervalMs?: number;
  /** Named on the transition log lines. */
  replica?: string;
}

/** Answers whether one registered client reaches Redis (rejects when it does not). */
export type RedisPing = () => Promise<unknown>;

/**
 * A breaker around Redis, shared by every Redis user of one replica (cache, rate limits,
 * persisted operations). While `up`, commands run with a `timeoutMs` bound; the first one that
 * fails or times out (or a client's 'error' event) opens it, and from then on nothing waits on
 * Redis: {@link run} answers from the fallback at once. A background probe PINGs through every
 * registered client every `probeIntervalMs` and closes it once all answer, so a replica goes
 * back to Redis by itself (within the clients' reconnect delay, ≤ 2 s, plus one probe).
 *
 * Hand-written rather than the upstream `Breaker` (resilience/breaker.ts): that one counts
 * failures over a window and half-opens on real traffic, where Redis needs "down at the first
 * failure, back when a PING answers" without sacrificing a request to find out. node-redis's own
 * reconnect keeps reconnecting; this only decides whether requests may wait on it.
 *
 * Logs "redis down" / "redis back" once per transition; listeners of {@link onChange} hear
 * each transition once.
 */
export class RedisBreaker {
  readonly timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #logger: Logger | undefined;
  readonly #replica: string | undefined;
  readonly #pings: RedisPing[] = [];
  readonly #listeners: ((up: boolean) => void)[] = [];
  #up = true;
  #since = Date.now();
  #probe: NodeJS.Timeout | undefined;
  #probing = false;
  #closed = false;

  constructor(opts: RedisBreakerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 200;
    this.#probeIntervalMs = opts.probeIntervalMs ?? 500;
    this.#logger = opts.logger;
    this.#replica = opts.replica;
  }

  /** Whether requests may use Redis now. */
  get up(): boolean {
    return this.#up;
  }

  /** A client whose PING must answer before Redis counts as back. */
  register(ping: RedisPing): void {
    this.#pings.push(ping);
  }

  /** Hears every transition (`true`: back, `false`: down). */
  onChange(listener: (up: boolean) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Runs `op` on Redis when it is up (bounded by `timeoutMs`), else `fallback` at once. A
   * failure of `op` opens the breaker and is answered by `fallback`, unless `isFailure` says the
   * rejection is an answer (a rate limiter's "no points left"), which is rethrown.
   */
  async run<T>(op: () => Promise<T>, fallback: () => T | Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    if (!this.#up) return fallback();
    try {
      return await bounded(op(), this.timeoutMs);
    } catch (err) {
      if (!isFailure(err)) throw err;
      this.trip(err);
      return fallback();
    }
  }

  /** Redis is down (a failed command, a client error): stop using it until a probe answers. */
  trip(err?: unknown): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    this.#since = Date.now();
    this.#logger?.warn({ err, replica: this.#replica }, 'redis down: serving from in-process caches and limits until it answers again');
    this.#emit(false);
    this.#probe = setInterval(() => void this.#tryProbe(), this.#probeIntervalMs);
    this.#probe.unref();
  }

  /** Stops probing (shutdown). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  async #tryProbe(): Promise<void> {
    if (this.#probing || this.#up || this.#closed) return;
    this.#probing = true;
    try {
      await bounded(Promise.all(this.#pings.map((ping) => ping())), this.timeoutMs);
      if (this.#closed) return;
      clearInterval(this.#probe);
      this.#probe = undefined;
      this.#up = true;
      this.#logger?.info(
        { replica: this.#replica, downForMs: Date.now() - this.#since },
        'redis back: using the shared caches and counters again',
      );
      this.#emit(true);
    } catch {
      // Still down: the next probe tries again.
    } finally {
      this.#probing = false;
    }
  }

  #emit(up: boolean): void {
    for (const listener of this.#listeners) {
      try {
        listener(up);
      } catch (err) {
        this.#logger?.error({ err }, 'a Redis breaker listener failed');
      }
    }
  }
}

/**
 * `op`, or a rejection once `ms` have passed. The rejection waits one `setImmediate`: after the
 * event loop was blocked (CPU-bound work), timers run before pending socket reads, and an answer
 * already received must not count as a Redis timeout (that would open the breaker for nothing).
 */
export async function bounded<T>(op: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer within ${ms} ms`))), ms);
    timer.unref();
  });
  try {
    return await Promise.race([op, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
