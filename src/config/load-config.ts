import { hostname } from 'node:os';
import { envSchema, type Env } from './env-schema.js';
import { defaultTtls, profiles } from './profiles.js';
import { readPersistedOperations } from './persisted-operations.js';

export const SERVICE_NAMES = ['auth', 'comment', 'industry', 'nps'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(value: unknown): value is ServiceName {
  return typeof value === 'string' && (SERVICE_NAMES as readonly string[]).includes(value);
}

/** The validated, defaulted, frozen configuration every other module receives. */
export interface GatewayConfig {
  readonly env: 'development' | 'production' | 'test';
  readonly profile: 'development' | 'production';
  readonly port: number;
  readonly host: string;
  readonly version: string;
  /** Which gateway process this is, in stats and events: `GATEWAY_REPLICA_ID`, else `hostname:pid`. */
  readonly replicaId: string;
  /** Each service's URL and call budget (`<NAME>_SERVICE_TIMEOUT`, default `ORCHESTRATION_TIMEOUT`). */
  readonly services: Readonly<Record<ServiceName, { readonly url: string; readonly timeoutMs: number }>>;
  readonly auth: {
    readonly jwtSecret: string;
    readonly issuer?: string;
    readonly audience?: string;
    readonly jwksUrl?: string;
    readonly apiKeys: ReadonlyArray<{ readonly name: string; readonly key: string }>;
    readonly tokenCacheTtlMs: number;
  };
  readonly sync: {
    readonly enabled: boolean;
    readonly expectedVersion: string;
    readonly checkIntervalMs: number;
    readonly warningThresholdMs: number;
    readonly criticalThresholdMs: number;
    readonly autoUpdate: boolean;
    readonly alertWebhookUrl?: string;
    /** Signs the webhook's POSTs: `SYNC_ALERT_WEBHOOK_SECRET`, else `GATEWAY_SIGNING_SECRET`, else unsigned. */
    readonly alertWebhookSecret?: string;
  };
  readonly orchestration: {
    readonly enabled: boolean;
    readonly timeoutMs: number;
    readonly retryAttempts: number;
  };
  readonly cache: {
    readonly enabled: boolean;
    readonly defaultTtlMs: number;
    readonly ttl: Readonly<{ user: number; dashboard: number; industries: number; jobs: number; token: number }>;
    readonly staleFactor: number;
    readonly maxEntries: number;
    readonly maxBytes: number;
    /**
     * Whole GraphQL responses of cacheable queries, per caller (`RESPONSE_CACHE_ENABLED`,
     * default true; only with the cache on), up to `maxBody` bytes each (`RESPONSE_CACHE_MAX_BODY`).
     */
    readonly response: {
      readonly enabled: boolean;
      readonly maxBody: number;
      /** Entries one caller may hold (`RESPONSE_CACHE_MAX_PER_PRINCIPAL`). */ readonly maxPerPrincipal: number;
    };
  };
  readonly breaker: {
    readonly enabled: boolean;
    readonly failureThreshold: number;
    readonly resetTimeoutMs: number;
  };
  readonly graphql: {
    readonly graphiql: boolean;
    readonly introspection: boolean;
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxBatch: number;
    /** Execute through graphql-jit (`GRAPHQL_JIT`, default true). */
    readonly jit: boolean;
    /** JSON POST queries skip Yoga's fetch-API layer (`GRAPHQL_DIRECT_EXECUTION`, default true; see direct-execution.ts). */
    readonly directExecution: boolean;
    readonly bodyLimit: number;
    readonly maxTokens: number;
    readonly maxDirectives: number;
    readonly maxCost: number;
    /** The most ids one `users(ids:)` accepts (`GRAPHQL_MAX_IDS`); they go upstream in calls of at most 100. */
    readonly maxIds: number;
    /** Open subscriptions one replica serves at most (`GRAPHQL_MAX_SUBSCRIPTIONS`); more is TOO_MANY_SUBSCRIPTIONS. */
    readonly maxSubscriptions: number;
    /** Longest silence on an SSE stream before a keep-alive comment is sent (`GRAPHQL_SSE_KEEPALIVE`, ms). */
    readonly sseKeepAliveMs: number;
    /** Serve the schema as an Apollo Federation v2 subgraph too (`GRAPHQL_FEDERATION`, default false). */
    readonly federation: boolean;
    /** The largest answer sent, serialized (`GRAPHQL_MAX_RESPONSE_BYTES`); larger is RESPONSE_TOO_LARGE. */
    readonly maxResponseBytes: number;
    /** Distinct operation names given their own metric series (`METRICS_MAX_OPERATION_NAMES`); the rest are `other`. */
    readonly maxOperationNames: number;
    /** `GRAPHQL_PERSISTED_OPERATIONS`: the manifest's documents by SHA-256 hex hash (empty when unset). */
    readonly persistedOperations: ReadonlyMap<string, string>;
    /** `GRAPHQL_TRUSTED_ONLY`: only the manifest's operations run. */
    readonly trustedOnly: boolean;
  };
  readonly monitoringPublic: boolean;
  /** Serve the `/status` page (`STATUS_PAGE`, default true). */
  readonly statusPage: boolean;
  readonly redisUrl?: string;
  readonly signingSecret?: string;
  readonly rateLimit: {
    readonly windowMs: number;
    readonly max: number;
    /** GraphQL mutations and REST writes/admin routes, per principal per window. */
    readonly mutationMax: number;
    /** `POST /api/auth/login` per client IP. */
    readonly loginMax: number;
    readonly loginWindowMs: number;
    /** Requests refused for bad credentials, per client IP per login window. */
    readonly authFailureMax: number;
    readonly rules: ReadonlyArray<RateLimitRule>;
  };
  readonly http: {
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly maxHeaderSize: number;
    readonly trustProxy: boolean | number | readonly string[];
  };
  readonly corsOrigins: readonly string[];
  readonly log: { readonly level: string; readonly colors: boolean };
  readonly requestTracing: boolean;
  readonly otlpEndpoint?: string;
  /** REST passthrough: upstream timeout (to response headers, and longest silence in a body), per-prefix overrides, body limit. */
  readonly passthrough: {
    /**
     * `PASSTHROUGH_TIMEOUT` when it is set: it then overrides every service's budget; unset, a
     * passthrough call gets its service's budget (`services[name].timeoutMs`).
     */
    readonly timeoutOverrideMs?: number;
    readonly routeTimeouts: ReadonlyArray<{ readonly prefix: string; readonly timeoutMs: number }>;
    readonly bodyLimit: number;
    /** Passthrough requests one principal (or anonymous client IP) may have in flight at once. */
    readonly maxConcurrentPerPrincipal: number;
  };
  /** On SIGTERM/SIGINT: how long in-flight requests may run before their connections are cut. */
  readonly shutdownGraceMs: number;
}

/** One `RATE_LIMIT_RULES` entry: an extra limit for a route prefix or a GraphQL root field. */
export interface RateLimitRule {
  readonly method?: string;
  readonly path?: string;
  /** `Mutation.forceSync`, `Query.users`. */
  readonly field?: string;
  readonly max: number;
  /** Defaults to `RATE_LIMIT_WINDOW_MS`. */
  readonly windowMs?: number;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Thrown by `loadConfig`; `message` names every bad variable, one per line. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SERVICE_URL_VARS: Record<ServiceName, keyof Env & `${string}_SERVICE_URL`> = {
  auth: 'AUTH_SERVICE_URL',
  comment: 'COMMENT_SERVICE_URL',
  industry: 'INDUSTRY_SERVICE_URL',
  nps: 'NPS_SERVICE_URL',
};

const SERVICE_TIMEOUT_VARS: Record<ServiceName, keyof Env & `${string}_SERVICE_TIMEOUT`> = {
  auth: 'AUTH_SERVICE_TIMEOUT',
  comment: 'COMMENT_SERVICE_TIMEOUT',
  industry: 'INDUSTRY_SERVICE_TIMEOUT',
  nps: 'NPS_SERVICE_TIMEOUT',
};

/**
 * Validates `env` once, applies the profile and returns a frozen config. Every problem is
 * collected first, so one message names every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, version = '0.0.0'): GatewayConfig {
  // An empty variable means "not set": `FOO=` in a .env file should fall back to the default.
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw);
  const issues: ConfigIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(environment)'), message: i.message }));

  for (const [service, variable] of Object.entries(SERVICE_URL_VARS)) {
    if (raw[variable] === undefined) issues.push({ variable, message: `is required (the URL of the ${service} service)` });
  }
  if (!parsed.success) throw new ConfigError(dedupe(issues));
  const e = parsed.data;
  const profileName = e.NODE_ENV === 'production' ? 'production' : 'development';
  const p = profiles[profileName];
  const warning = e.SYNC_WARNING_THRESHOLD ?? p.syncWarningThresholdMs;
  const critical = e.SYNC_CRITICAL_THRESHOLD ?? p.syncCriticalThresholdMs;
  if (critical < warning) {
    issues.push({ variable: 'SYNC_CRITICAL_THRESHOLD', message: `must not be below SYNC_WARNING_THRESHOLD (${warning} ms)` });
  }
  const persisted =
    e.GRAPHQL_PERSISTED_OPERATIONS === undefined ? new Map<string, string>() : readPersistedOperations(e.GRAPHQL_PERSISTED_OPERATIONS);
  if (typeof persisted === 'string') issues.push({ variable: 'GRAPHQL_PERSISTED_OPERATIONS', message: persisted });
  if (e.GRAPHQL_TRUSTED_ONLY && e.GRAPHQL_PERSISTED_OPERATIONS === undefined) {
    issues.push({ variable: 'GRAPHQL_TRUSTED_ONLY', message: 'needs GRAPHQL_PERSISTED_OPERATIONS (the only operations it lets run)' });
  }
  if (issues.length > 0) throw new ConfigError(dedupe(issues));

  const cacheExpiry = e.ORCHESTRATION_CACHE_EXPIRY ?? p.cacheExpiryMs;
  const timeoutMs = e.ORCHESTRATION_TIMEOUT ?? p.timeoutMs;
  const service = (name: ServiceName) => ({ url: e[SERVICE_URL_VARS[name]]!, timeoutMs: e[SERVICE_TIMEOUT_VARS[name]] ?? timeoutMs });
  const config: GatewayConfig = {
    env: e.NODE_ENV,
    profile: profileName,
    port: e.PORT,
    host: e.HOST,
    version,
    replicaId: e.GATEWAY_REPLICA_ID ?? `${hostname()}:${process.pid}`,
    services: {
      auth: service('auth'),
      comment: service('comment'),
      industry: service('industry'),
      nps: service('nps'),
    },
    auth: {
      jwtSecret: e.JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      jwksUrl: e.JWT_JWKS_URL,
      apiKeys: e.GATEWAY_API_KEYS ?? [],
      tokenCacheTtlMs: defaultTtls.token,
    },
    sync: {
      enabled: e.FEATURE_SYNC_MONITORING,
      expectedVersion: e.SHARED_KNOWLEDGE_VERSION,
      checkIntervalMs: e.SYNC_CHECK_INTERVAL ?? p.syncCheckIntervalMs,
      warningThresholdMs: warning,
      criticalThresholdMs: critical,
      autoUpdate: e.SYNC_AUTO_UPDATE ?? p.syncAutoUpdate,
      alertWebhookUrl: e.SYNC_ALERT_WEBHOOK_URL,
      alertWebhookSecret: e.SYNC_ALERT_WEBHOOK_SECRET ?? e.GATEWAY_SIGNING_SECRET,
    },
    orchestration: {
      enabled: e.FEATURE_ORCHESTRATION,
      timeoutMs,
      retryAttempts: e.ORCHESTRATION_RETRY_ATTEMPTS ?? p.retryAttempts,
    },
    cache: {
      enabled: e.ORCHESTRATION_CACHE_ENABLED,
      defaultTtlMs: cacheExpiry,
      ttl: {
        user: e.CACHE_TTL_USER ?? defaultTtls.user,
        dashboard: e.CACHE_TTL_DASHBOARD ?? defaultTtls.dashboard,
        industries: e.CACHE_TTL_INDUSTRIES ?? defaultTtls.industries,
        jobs: e.CACHE_TTL_JOBS ?? defaultTtls.jobs,
        token: defaultTtls.token,
      },
      staleFactor: e.CACHE_STALE_FACTOR,
      maxEntries: e.CACHE_MAX_ENTRIES,
      maxBytes: e.CACHE_MAX_BYTES,
      response: {
        enabled: e.ORCHESTRATION_CACHE_ENABLED && e.RESPONSE_CACHE_ENABLED,
        maxBody: e.RESPONSE_CACHE_MAX_BODY,
        maxPerPrincipal: e.RESPONSE_CACHE_MAX_PER_PRINCIPAL,
      },
    },
    breaker: {
      enabled: e.CIRCUIT_BREAKER_ENABLED,
      failureThreshold: e.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
      resetTimeoutMs: e.CIRCUIT_BREAKER_RESET_TIMEOUT,
    },
    graphql: {
      graphiql: e.GRAPHIQL,
      introspection: e.GRAPHQL_INTROSPECTION ?? p.introspection,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxBatch: e.GRAPHQL_MAX_BATCH,
      jit: e.GRAPHQL_JIT,
      directExecution: e.GRAPHQL_DIRECT_EXECUTION,
      bodyLimit: e.GRAPHQL_BODY_LIMIT,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxIds: e.GRAPHQL_MAX_IDS,
      maxSubscriptions: e.GRAPHQL_MAX_SUBSCRIPTIONS,
      sseKeepAliveMs: e.GRAPHQL_SSE_KEEPALIVE,
      federation: e.GRAPHQL_FEDERATION,
      maxResponseBytes: e.GRAPHQL_MAX_RESPONSE_BYTES,
      maxOperationNames: e.METRICS_MAX_OPERATION_NAMES,
      persistedOperations: persisted as ReadonlyMap<string, string>,
      trustedOnly: e.GRAPHQL_TRUSTED_ONLY,
    },
    monitoringPublic: e.MONITORING_PUBLIC ?? p.monitoringPublic,
    statusPage: e.STATUS_PAGE,
    redisUrl: e.REDIS_URL,
    signingSecret: e.GATEWAY_SIGNING_SECRET,
    rateLimit: {
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      max: e.RATE_LIMIT_MAX,
      mutationMax: e.RATE_LIMIT_MUTATION_MAX,
      loginMax: e.RATE_LIMIT_LOGIN_MAX,
      loginWindowMs: e.RATE_LIMIT_LOGIN_WINDOW_MS,
      authFailureMax: e.RATE_LIMIT_AUTH_FAILURE_MAX,
      rules: e.RATE_LIMIT_RULES ?? [],
    },
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT,
      maxHeaderSize: e.HTTP_MAX_HEADER_SIZE,
      trustProxy: e.TRUST_PROXY ?? false,
    },
    corsOrigins: e.CORS_ORIGINS ?? [],
    log: { level: e.LOG_LEVEL, colors: e.ENABLE_COLORS },
    requestTracing: e.FEATURE_REQUEST_TRACING,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    passthrough: {
      timeoutOverrideMs: e.PASSTHROUGH_TIMEOUT,
      routeTimeouts: e.PASSTHROUGH_ROUTE_TIMEOUTS ?? [],
      bodyLimit: e.PASSTHROUGH_BODY_LIMIT,
      maxConcurrentPerPrincipal: e.PASSTHROUGH_MAX_CONCURRENT_PER_PRINCIPAL,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_PERIOD,
  };
  return deepFreeze(config);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.variable}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
