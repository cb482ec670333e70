import type { FastifyContextConfig, FastifyRequest } from 'fastify';

/*
 * What a route declares about itself (Fastify route `config`). Audit, rate limits and the
 * anonymous decision read it from the MATCHED route, never from the URL string, so no
 * spelling of a path can reach a route without its rules (gateway.md: "audit, limits and
 * authentication hang on the matched route"). Here, below http/, because the rate-limit hook
 * (security/) reads it as much as the routes do.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The admin action this route runs: one audit line per request, whatever the outcome. */
    audit?: string;
    /** Served without looking at credentials (health probes). */
    anonymous?: boolean;
    /** Passthrough routes a client may call without a principal (login). */
    allowAnonymous?: boolean;
    /** `login`: also the per-IP login limit; `exempt`: no limit at all (health). */
    rateLimit?: 'login' | 'exempt';
    /** `graphql`: errors the HTTP layer sends leave as `{"errors":[…]}` (GraphQL over HTTP), not `{"error","message"}`. */
    errorShape?: 'graphql';
  }
}

/** The config of the route a request matched (empty for an unmatched request). */
export function routeConfig(req: FastifyRequest): FastifyContextConfig {
  return (req.routeOptions.config as FastifyContextConfig | undefined) ?? {};
}

/**
 * Health routes (`/health`, `/health/*` patterns, declared in routes/health.ts and sync.ts):
 * anonymous and never rate limited. Decided on the matched route's pattern.
 */
export function isHealthRoute(req: FastifyRequest): boolean {
  const pattern = req.routeOptions.url;
  return pattern === '/health' || (pattern?.startsWith('/health/') ?? false);
}
