/** The cache of upstream reads and of whole responses (in process or Redis). Knows nothing of GraphQL or HTTP routing. */
export {
  GatewayCache,
  type CacheClearResult,
  type CacheEntry,
  type CacheLookup,
  type CacheWrite,
  type GatewayCacheOptions,
  type GatewayCacheStats,
} from './gateway-cache.js';
export { formatCacheKey, type CacheKey, type CacheDependency } from './cache-key.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export type { RedisCacheOptions } from './redis-backend.js';
export { RedisBreaker, type RedisBreakerOptions, type RedisPing } from './redis-breaker.js';
export { CacheHint, ResponseCache, type CachedResponse, type ResponseCacheRequest } from './response-cache.js';
