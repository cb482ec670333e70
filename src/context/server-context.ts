import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CacheHint } from '../cache/index.js';
import type { GatewayPubSub } from '../events/index.js';

/** What the HTTP layer hands Yoga with each request (Yoga's server context). */
export interface ServerContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** Present when the HTTP layer may cache this response whole (see `ResponseCache`). */
  cacheHint?: CacheHint;
  /** The cluster event bus (`service-events`, `cache-invalidations`): every replica's events with `REDIS_URL`. */
  pubsub?: GatewayPubSub;
}
