import type { GatewayCache, CacheKey } from '../cache/index.js';
import type { ServiceName } from '../config/index.js';
import type { ServiceClient } from './service-client.js';
import type { ServiceVersions } from './service-versions.js';

/** What every per-service data source is built from. */
export interface SourceKit {
  client: ServiceClient;
  cache: GatewayCache;
  versions: ServiceVersions;
}

/** A cache key for data read from one service, keyed by the version that service last reported. */
export function serviceKey(versions: ServiceVersions, service: ServiceName, kind: string, id: string): CacheKey {
  return { kind, id, deps: [{ service, version: versions.get(service) }] };
}
