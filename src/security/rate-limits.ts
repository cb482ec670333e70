import { createClient } from '@keyv/redis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RedisBreaker } from '../cache/index.js';
import type { GatewayConfig, RateLimitRule } from '../config/index.js';

type RedisClient = ReturnType<typeof createClient>;

/** One named limit: `max` points per `windowMs` per key. */
export interface Limit {
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
  readonly rule?: RateLimitRule;
}

/** The outcome of one `consume`; what the `RateLimit-*` and `Retry-After` headers report. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
}

export interface RateLimitsOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Redis key prefix (tests isolate runs with it). Default `gw:rl`. */
  namespace?: string;
  /** The replica's breaker around Redis (the cache's): while open, counts are kept in memory at once. */
  redisBreaker?: RedisBreaker;
}

interface Entry {
  readonly limit: Limit;
  /** The shared counter (with `REDIS_URL`). */
  readonly redis?: RateLimiterAbstract;
  /** This replica's own counter: the only one without Redis, the stand-in while it is down. */
  readonly memory: RateLimiterAbstract;
}

/**
 * Every rate limit of the gateway (`gateway.md` "Who may do what"), on rate-limiter-flexible:
 * in process memory, or in Redis when `REDIS_URL` is set so every replica shares one count.
 * While Redis is unreachable each limiter falls back to an in-memory one rather than letting
 * everything through or refusing everyone; the replica's {@link RedisBreaker} decides when, so
 * no request waits on a Redis known to be down (rate-limiter-flexible's insurance limiter
 * would try Redis first on every call).
 *
 * - `request`: every request but `/health*`, per principal (or client IP when anonymous).
 * - `mutation`: GraphQL mutations, admin routes and REST writes — stricter.
 * - `login`: `POST /api/auth/login` per client IP, against password guessing.
 * - `authFailure`: requests refused for bad credentials, per client IP (token guessing).
 * - one per `RATE_LIMIT_RULES` entry, on top of the general limit.
 */
export class RateLimits {
  readonly request: Limit;
  readonly mutation: Limit;
  readonly login: Limit;
  readonly authFailure: Limit;
  readonly rules: readonly Limit[];
  readonly #entries = new Map<string, Entry>();
  readonly #redis?: RedisClient;
  readonly #breaker?: RedisBreaker;
  readonly #logger: Logger;
  #lastRedisError = 0;

  constructor({ config, logger, namespace = 'gw:rl', redisBreaker }: RateLimitsOptions) {
    this.#logger = logger;
    const rl = config.rateLimit;
    if (config.redisUrl) {
      this.#redis = createClient({
        url: config.redisUrl,
        // Fail fast: while Redis is down a command errors at once and the insurance limiter answers.
        disableOfflineQueue: true,
        commandOptions: { timeout: 500 },
        socket: { connectTimeout: 3000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
      });
      const breaker = redisBreaker ?? new RedisBreaker({ logger });
      const client = this.#redis;
      client.on('error', (err: unknown) => breaker.trip(err));
      client.connect().catch((err: unknown) => breaker.trip(err));
      breaker.register(() => client.ping());
      this.#breaker = breaker;
    }
    const make = (limit: Limit): Limit => {
      const memory = new RateLimiterMemory({ keyPrefix: limit.name, points: limit.max, duration: limit.windowMs / 1000 });
      const redis = this.#redis
        ? new RateLimiterRedis({
            storeClient: this.#redis,
            useRedisPackage: true,
            rejectIfRedisNotReady: true,
            keyPrefix: `${namespace}:${limit.name}`,
            points: limit.max,
            // Redis windows are whole seconds.
            duration: Math.max(1, Math.round(limit.windowMs / 1000)),
          })
        : undefined;
      this.#entries.set(limit.name, { limit, redis, memory });
      return limit;
    };
    this.request = make({ name: 'request', max: rl.max, windowMs: rl.windowMs });
    this.mutation = make({ name: 'mutation', max: rl.mutationMax, windowMs: rl.windowMs });
    this.login = make({ name: 'login', max: rl.loginMax, windowMs: rl.loginWindowMs });
    this.authFailure = make({ name: 'auth-failure', max: rl.authFailureMax, windowMs: rl.loginWindowMs });
    this.rules = rl.rules.map((rule, i) => make({ name: `rule${i}`, max: rule.max, windowMs: rule.windowMs ?? rl.windowMs, rule }));
  }

  /** The `RATE_LIMIT_RULES` limits for a REST route (`path` without the query string). */
  routeRules(method: string, path: string): Limit[] {
    return this.rules.filter(({ rule }) => {
      if (!rule?.path || (rule.method && rule.method !== method)) return false;
      return path === rule.path || path.startsWith(rule.path.endsWith('/') ? rule.path : `${rule.path}/`);
    });
  }

  /** The `RATE_LIMIT_RULES` limits for a GraphQL root field (`Mutation.forceSync`). */
  fieldRules(coordinate: string): Limit[] {
    return this.rules.filter(({ rule }) => rule?.field === coordinate);
  }

  /** Takes one point from `key` under `limit`. A store failure never refuses: it is logged and let through. */
  async consume(limit: Limit, key: string, points = 1): Promise<RateLimitDecision> {
    try {
      return decision(limit, await this.#counter(limit, (counter) => counter.consume(key, points)), true);
    } catch (err) {
      if (err instanceof RateLimiterRes) return decision(limit, err, false);
      this.#reportRedisError(err);
      return { allowed: true, limit: limit.max, remaining: limit.max, resetSeconds: Math.ceil(limit.windowMs / 1000) };
    }
  }

  /** Whether `key` has used up `limit`, without taking a point. */
  async exhausted(limit: Limit, key: string): Promise<RateLimitDecision | null> {
    try {
      const res = await this.#counter(limit, (counter) => counter.get(key));
      if (!res || res.consumedPoints < limit.max) return null;
      return decision(limit, res, false);
    } catch (err) {
      this.#reportRedisError(err);
      return null;
    }
  }

  /**
   * `op` on the shared counter through the Redis breaker (this replica's own at once while Redis
   * is down), or on the own counter without Redis. A refusal (`RateLimiterRes`: no points left)
   * is an answer, never a Redis failure.
   */
  #counter<T>(limit: Limit, op: (counter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    const { redis, memory } = this.#entries.get(limit.name)!;
    if (!redis || !this.#breaker) return op(memory);
    return this.#breaker.run(
      () => op(redis),
      () => op(memory),
      (err) => !(err instanceof RateLimiterRes),
    );
  }

  /** Whether the shared counters' Redis answers now: `undefined` without `REDIS_URL`. */
  get redisConnected(): boolean | undefined {
    return this.#redis ? this.#redis.isReady && this.#breaker!.up : undefined;
  }

  async close(): Promise<void> {
    this.#breaker?.close();
    if (this.#redis?.isOpen) await this.#redis.close().catch(() => undefined);
    else this.#redis?.destroy();
  }

  #reportRedisError(err: unknown): void {
    // At most one line every 10 s: a Redis outage must not flood the log.
    const now = Date.now();
    if (now - this.#lastRedisError < 10_000) return;
    this.#lastRedisError = now;
    this.#logger.warn({ err }, 'rate-limit store (Redis) unavailable; counting in memory');
  }
}

function decision(limit: Limit, res: RateLimiterRes, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    limit: limit.max,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}
