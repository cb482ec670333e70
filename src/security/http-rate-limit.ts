import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/index.js';
import { GatewayError } from '../errors/index.js';
import { isHealthRoute, routeConfig } from './route-config.js';
import type { RateLimitDecision, RateLimits } from './rate-limits.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes no limit applies to (`gateway.md`: every route but `/health*` counts), by the matched route. */
function isExempt(req: FastifyRequest): boolean {
  return routeConfig(req).rateLimit === 'exempt' || isHealthRoute(req);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The key a principal is counted under: its id, or the client IP when anonymous. */
export function rateLimitKey(principal: Principal | null, ip: string): string {
  return principal ? `p:${principal.id}` : `ip:${ip}`;
}

/** `RateLimit-*` headers (IETF draft `ratelimit-headers`, as express-rate-limit's `draft-6`). */
export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(d.remaining),
    'ratelimit-reset': String(d.resetSeconds),
  };
}

function refuse(reply: FastifyReply, d: RateLimitDecision, message: string): never {
  reply.headers(rateLimitHeaders(d));
  throw new GatewayError('RATE_LIMITED', { message, retryAfterSeconds: d.resetSeconds });
}

/**
 * Guards against credential guessing: a client IP whose requests were refused for bad
 * credentials `RATE_LIMIT_AUTH_FAILURE_MAX` times in the login window gets 429 instead of 401
 * for its failing requests for the rest of it. Only failing credentials are refused: a valid
 * token or API key from the same address is served (gateway.md: "a valid credential is never
 * refused because other requests from its address failed"). Counts here; the refusal is
 * {@link authFailureGate}, which the identity hook calls when verification fails.
 */
export function registerAuthFailureLimit(app: FastifyInstance, limits: RateLimits): void {
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode !== 401 || req.principal) return;
    if (req.headers.authorization === undefined && req.headers['x-api-key'] === undefined) return;
    await limits.consume(limits.authFailure, `ip:${req.ip}`);
  });
}

/** For `registerRequestIdentity`'s `onAuthFailure`: 429 when this address has failed too often. */
export function authFailureGate(limits: RateLimits): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req, reply) => {
    if (isExempt(req)) return;
    const blocked = await limits.exhausted(limits.authFailure, `ip:${req.ip}`);
    if (blocked) refuse(reply, blocked, 'Too many requests with invalid credentials from this address; retry later.');
  };
}

/**
 * The per-request limits: must be registered AFTER the identity hook (it keys on
 * `req.principal`). Every route but `/health*` counts against the general limit; writes
 * (admin routes, REST passthrough POST/PUT/PATCH/DELETE) also against the stricter mutation
 * limit; routes declaring `config: { rateLimit: 'login' }` (`POST /api/auth/login`) against the per-IP login limit; `RATE_LIMIT_RULES` on top.
 * GraphQL mutations are counted inside Yoga (`useMutationRateLimit`), where the operation is known.
 */
export function registerRateLimit(app: FastifyInstance, limits: RateLimits): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    if (isExempt(req)) return;
    // The normalized path (rewriteUrl in http-hardening.ts): one spelling per route.
    const path = pathOf(req.url);
    const key = rateLimitKey(req.principal, req.ip);

    const general = await limits.consume(limits.request, key);
    reply.headers(rateLimitHeaders(general));
    if (!general.allowed)
      refuse(reply, general, `Rate limit of ${general.limit} requests per ${windowText(limits.request.windowMs)} reached; retry later.`);

    if (routeConfig(req).rateLimit === 'login') {
      const login = await limits.consume(limits.login, `ip:${req.ip}`);
      if (!login.allowed)
        refuse(
          reply,
          login,
          `Too many login attempts from this address (${login.limit} per ${windowText(limits.login.windowMs)}); retry later.`,
        );
    } else if (!SAFE_METHODS.has(req.method) && path !== '/graphql') {
      const write = await limits.consume(limits.mutation, key);
      if (!write.allowed)
        refuse(
          reply,
          write,
          `Rate limit of ${write.limit} writes and admin actions per ${windowText(limits.mutation.windowMs)} reached; retry later.`,
        );
    }

    for (const rule of limits.routeRules(req.method, path)) {
      const d = await limits.consume(rule, key);
      if (!d.allowed)
        refuse(reply, d, `Rate limit of ${d.limit} requests per ${windowText(rule.windowMs)} for this route reached; retry later.`);
    }
  });
}

export function windowText(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`;
  return ms === 1000 ? 'second' : `${ms / 1000} seconds`;
}
