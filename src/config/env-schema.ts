import { z } from 'zod';

/**
 * The environment the gateway reads, exactly as `gateway.md` names it. Values that depend
 * on the profile are optional here and filled in by `loadConfig` from `profiles.ts`.
 */

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }))
  .transform((u) => u.replace(/\/+$/, ''));

const semver = z
  .string()
  .trim()
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, { message: 'must be a semantic version such as 1.0.0' });

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);

const apiKeys = z.string().transform((s, ctx) => {
  const keys: Array<{ name: string; key: string }> = [];
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const sep = pair.indexOf(':');
    const name = pair.slice(0, sep).trim();
    const key = pair.slice(sep + 1).trim();
    if (sep <= 0 || !/^[A-Za-z0-9._-]+$/.test(name) || key.length < 16) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be name:key pairs, comma separated; names of A-Z a-z 0-9 . _ -, keys of at least 16 characters',
      });
      return z.NEVER;
    }
    keys.push({ name, key });
  }
  return keys;
});

/**
 * `RATE_LIMIT_RULES`: extra limits per route or GraphQL root field, on top of the general one:
 * `target=max[/windowMs]`, comma separated; target `METHOD /path-prefix`, `/path-prefix` or
 * `Mutation.field` / `Query.field`.
 */
const rateLimitRules = z.string().transform((s, ctx) => {
  const rules: Array<{ method?: string; path?: string; field?: string; max: number; windowMs?: number }> = [];
  for (const entry of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(?:(?:([A-Za-z]+) +)?(\/[^\s=]*)|((?:Query|Mutation)\.[A-Za-z_][A-Za-z0-9_]*)) *= *(\d+)(?: *\/ *(\d+))?$/.exec(entry);
    if (!m || Number(m[4]) < 1 || (m[5] !== undefined && Number(m[5]) < 1000)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" must be "[METHOD] /path=max[/windowMs]" or "Mutation.field=max[/windowMs]" (max at least 1, window at least 1000 ms)`,
      });
      return z.NEVER;
    }
    rules.push({
      ...(m[1] ? { method: m[1].toUpperCase() } : {}),
      ...(m[2] ? { path: m[2] } : {}),
      ...(m[3] ? { field: m[3] } : {}),
      max: Number(m[4]),
      ...(m[5] ? { windowMs: Number(m[5]) } : {}),
    });
  }
  return rules;
});

/** `TRUST_PROXY`: `true`/`false`, a hop count, or comma-separated addresses/CIDRs of trusted proxies. */
const trustProxy = z
  .string()
  .trim()
  .transform((s): boolean | number | string[] => {
    const lower = s.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (/^\d+$/.test(s)) return Number(s);
    return s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  });

/** `PASSTHROUGH_ROUTE_TIMEOUTS`: `/api/jobs=10000,/api/auth/login=3000` (path prefix = ms). */
const passthroughRouteTimeouts = z.string().transform((s, ctx) => {
  const out: Array<{ prefix: string; timeoutMs: number }> = [];
  for (const part of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\/[^=\s]*)=(\d{1,6})$/.exec(part);
    if (!m || Number(m[2]) < 1) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not <path prefix>=<ms> (e.g. /api/jobs=10000)` });
      return z.NEVER;
    }
    out.push({ prefix: m[1]!, timeoutMs: Number(m[2]) });
  }
  return out;
});

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),

  JWT_SECRET: z.string({ message: 'is required' }).min(32, { message: 'must be at least 32 characters' }),
  JWT_ISSUER: z.string().trim().min(1).optional(),
  JWT_AUDIENCE: z.string().trim().min(1).optional(),
  JWT_JWKS_URL: httpUrl.optional(),

  AUTH_SERVICE_URL: httpUrl.optional(),
  COMMENT_SERVICE_URL: httpUrl.optional(),
  INDUSTRY_SERVICE_URL: httpUrl.optional(),
  NPS_SERVICE_URL: httpUrl.optional(),
  // Per-service call budgets (ms); unset: ORCHESTRATION_TIMEOUT.
  AUTH_SERVICE_TIMEOUT: int(1, 600_000).optional(),
  COMMENT_SERVICE_TIMEOUT: int(1, 600_000).optional(),
  INDUSTRY_SERVICE_TIMEOUT: int(1, 600_000).optional(),
  NPS_SERVICE_TIMEOUT: int(1, 600_000).optional(),

  SHARED_KNOWLEDGE_VERSION: semver.default('1.0.0'),
  SYNC_CHECK_INTERVAL: int(1000).optional(),
  SYNC_WARNING_THRESHOLD: int(0).optional(),
  SYNC_CRITICAL_THRESHOLD: int(0).optional(),
  SYNC_AUTO_UPDATE: bool.optional(),
  SYNC_ALERT_WEBHOOK_URL: httpUrl.optional(),
  SYNC_ALERT_WEBHOOK_SECRET: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),

  FEATURE_SYNC_MONITORING: bool.default(true),
  FEATURE_ORCHESTRATION: bool.default(true),
  ORCHESTRATION_CACHE_ENABLED: bool.default(true),
  CIRCUIT_BREAKER_ENABLED: bool.default(true),
  FEATURE_REQUEST_TRACING: bool.default(true),

  ORCHESTRATION_TIMEOUT: int(1, 600_000).optional(),
  ORCHESTRATION_CACHE_EXPIRY: int(0).optional(),
  ORCHESTRATION_RETRY_ATTEMPTS: int(0, 10).optional(),
  CIRCUIT_BREAKER_FAILURE_THRESHOLD: int(1, 1000).default(5),
  CIRCUIT_BREAKER_RESET_TIMEOUT: int(1).default(60_000),

  CACHE_TTL_USER: int(0).optional(),
  CACHE_TTL_DASHBOARD: int(0).optional(),
  CACHE_TTL_INDUSTRIES: int(0).optional(),
  CACHE_TTL_JOBS: int(0).optional(),
  CACHE_STALE_FACTOR: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a number of at least 1' })
    .transform(Number)
    .pipe(z.number().min(1, { message: 'must be at least 1' }))
    .default(10),
  CACHE_MAX_ENTRIES: int(100).default(50_000),
  CACHE_MAX_BYTES: int(1024 * 1024).default(64 * 1024 * 1024),
  RESPONSE_CACHE_ENABLED: bool.default(true),
  RESPONSE_CACHE_MAX_BODY: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  RESPONSE_CACHE_MAX_PER_PRINCIPAL: int(1, 1_000_000).default(100),

  MONITORING_PUBLIC: bool.optional(),
  STATUS_PAGE: bool.default(true),
  GRAPHIQL: bool.default(true),
  GRAPHQL_INTROSPECTION: bool.optional(),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(10),
  GRAPHQL_MAX_ALIASES: int(1, 1000).default(15),
  GRAPHQL_MAX_BATCH: int(1, 100).default(10),
  GRAPHQL_JIT: bool.default(true),
  GRAPHQL_DIRECT_EXECUTION: bool.default(true),
  GRAPHQL_BODY_LIMIT: int(1024).default(1024 * 1024),
  GRAPHQL_MAX_IDS: int(1, 10_000).default(500),
  GRAPHQL_MAX_SUBSCRIPTIONS: int(0, 1_000_000).default(100),
  GRAPHQL_SSE_KEEPALIVE: int(1000, 600_000).default(12_000),
  GRAPHQL_FEDERATION: bool.default(false),
  GRAPHQL_PERSISTED_OPERATIONS: z.string().trim().min(1).optional(),
  GRAPHQL_TRUSTED_ONLY: bool.default(false),

  REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
    .optional(),
  GATEWAY_SIGNING_SECRET: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  GATEWAY_API_KEYS: apiKeys.optional(),
  RATE_LIMIT_WINDOW_MS: int(1000).default(60_000),
  RATE_LIMIT_MAX: int(1).default(600),
  RATE_LIMIT_MUTATION_MAX: int(1).default(60),
  RATE_LIMIT_LOGIN_MAX: int(1).default(10),
  RATE_LIMIT_LOGIN_WINDOW_MS: int(1000).default(300_000),
  RATE_LIMIT_AUTH_FAILURE_MAX: int(1).default(50),
  RATE_LIMIT_RULES: rateLimitRules.optional(),
  GRAPHQL_MAX_TOKENS: int(10, 1_000_000).default(2000),
  GRAPHQL_MAX_DIRECTIVES: int(1, 10_000).default(50),
  GRAPHQL_MAX_COST: int(1, 100_000_000).default(20_000),
  GRAPHQL_MAX_RESPONSE_BYTES: int(1024, 1024 * 1024 * 1024).default(5 * 1024 * 1024),
  METRICS_MAX_OPERATION_NAMES: int(1, 10_000).default(100),
  HTTP_REQUEST_TIMEOUT: int(1000, 600_000).default(60_000),
  HTTP_HEADERS_TIMEOUT: int(1000, 600_000).default(10_000),
  HTTP_MAX_HEADER_SIZE: int(1024, 1024 * 1024).default(16 * 1024),
  TRUST_PROXY: trustProxy.optional(),
  CORS_ORIGINS: csv.optional(),

  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  ENABLE_COLORS: bool.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  PASSTHROUGH_TIMEOUT: int(1, 600_000).optional(),
  PASSTHROUGH_ROUTE_TIMEOUTS: passthroughRouteTimeouts.optional(),
  PASSTHROUGH_BODY_LIMIT: int(0).default(100 * 1024 * 1024),
  PASSTHROUGH_MAX_CONCURRENT_PER_PRINCIPAL: int(1).default(16),
  SHUTDOWN_GRACE_PERIOD: int(0, 600_000).default(10_000),
  GATEWAY_REPLICA_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'must be 1-128 characters of A-Z a-z 0-9 . _ : -' })
    .optional(),
});

export type Env = z.infer<typeof envSchema>;
