/**
 * The two profiles of `gateway.md`. `NODE_ENV=production` takes the production column; any
 * other value (development, test) takes the development one. Explicit variables win.
 */
export interface Profile {
  syncCheckIntervalMs: number;
  syncWarningThresholdMs: number;
  syncCriticalThresholdMs: number;
  syncAutoUpdate: boolean;
  timeoutMs: number;
  cacheExpiryMs: number;
  retryAttempts: number;
  monitoringPublic: boolean;
  introspection: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const profiles: Readonly<Record<'development' | 'production', Readonly<Profile>>> = Object.freeze({
  development: Object.freeze({
    syncCheckIntervalMs: 60 * SECOND,
    syncWarningThresholdMs: 5 * MINUTE,
    syncCriticalThresholdMs: 10 * MINUTE,
    syncAutoUpdate: true,
    timeoutMs: 5 * SECOND,
    cacheExpiryMs: 1 * MINUTE,
    retryAttempts: 2,
    monitoringPublic: true,
    introspection: true,
  }),
  production: Object.freeze({
    syncCheckIntervalMs: 5 * MINUTE,
    syncWarningThresholdMs: 30 * MINUTE,
    syncCriticalThresholdMs: 60 * MINUTE,
    syncAutoUpdate: false,
    timeoutMs: 10 * SECOND,
    cacheExpiryMs: 5 * MINUTE,
    retryAttempts: 3,
    monitoringPublic: false,
    introspection: false,
  }),
});

/** Per-type cache TTLs of `gateway.md` (ms); each can be overridden by its CACHE_TTL_* variable. */
export const defaultTtls = Object.freeze({
  user: 10 * MINUTE,
  dashboard: 2 * MINUTE,
  industries: 15 * MINUTE,
  jobs: 2 * MINUTE,
  token: 5 * MINUTE,
});
