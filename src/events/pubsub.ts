import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Logger } from 'pino';

/** One event of `Subscription.serviceEvents` (gateway.md, "Subscriptions"). */
export interface ServiceEvent {
  /** `breaker` | `sync` | `version` | `cache`. */
  type: 'breaker' | 'sync' | 'version' | 'cache';
  /** null for a whole-cache clear. */
  service: string | null;
  /** The breaker or sync state, or the version, before. */
  from: string | null;
  /** The state or version after. */
  to: string | null;
  /** ISO-8601. */
  at: string;
  /** Which gateway process saw it (`GATEWAY_REPLICA_ID`). */
  replica: string;
}

export const SERVICE_EVENTS_TOPIC = 'service-events';

export type GatewayPubSub = PubSub<{ [SERVICE_EVENTS_TOPIC]: [ServiceEvent] }>;

export interface GatewayPubSubOptions {
  redisUrl?: string;
  logger: Logger;
}

/** The cluster event bus: graphql-yoga's pub/sub, in process. */
export function createGatewayPubSub(_options: GatewayPubSubOptions): { pubsub: GatewayPubSub; close(): Promise<void> } {
  return { pubsub: createPubSub<{ [SERVICE_EVENTS_TOPIC]: [ServiceEvent] }>(), close: async () => undefined };
}
