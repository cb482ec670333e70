export { loadConfig, ConfigError, SERVICE_NAMES, isServiceName } from './load-config.js';
export type { GatewayConfig, ConfigIssue, ServiceName, RateLimitRule } from './load-config.js';
export { profiles, defaultTtls } from './profiles.js';
