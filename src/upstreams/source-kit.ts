import type { GatewayCache, CacheKey } from '../cache/index.js';
import type { ServiceName } from '../config/index.js';
import { readThrough, type Read, type ReadThroughOptions } from './read-through.js';
import type { ServiceClient } from './service-client.js';
import type { ServiceVersions } from './service-versions.js';

/** What every per-service data source is built from. */
export interface SourceKit {
  client: ServiceClient;
  cache: GatewayCache;
  versions: ServiceVersions;
}

/** A cache key for data read from one service, keyed by the version that service last reported. */
function serviceKey(versions: ServiceVersions, service: ServiceName, kind: string, id: string): CacheKey {
  return { kind, id, deps: [{ service, version: versions.get(service) }] };
}

/** What a source gives {@link readFromService}: readThrough's options less those the kit supplies. */
export type ServiceReadOptions<V> = Omit<ReadThroughOptions<V>, 'cache' | 'cacheKey' | 'onStale'> & {
  /** The cache key's kind (`user`, `jobs`…). */
  kind: string;
  /** The cache key's id of a key; default the key itself (a list read adds its limit). */
  idOf?: (key: string) => string;
};

/**
 * Reads one service's data through the cache (`readThrough`): entries keyed by the version the
 * service last reported, and each stale stand-in counted on its breaker (`fallbacks`).
 */
export function readFromService<V>(kit: SourceKit, { kind, idOf, ...opts }: ServiceReadOptions<V>): Promise<Array<Read<V | null>>> {
  const { client, cache, versions } = kit;
  return readThrough<V>({
    ...opts,
    cache,
    onStale: () => client.breaker.recordFallback(),
    cacheKey: (key) => serviceKey(versions, client.name, kind, idOf ? idOf(key) : key),
  });
}
