import { randomUUID } from 'node:crypto';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { createPubSub, Repeater, SlidingBuffer, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** One event of the `serviceEvents` subscription (gateway.md, "Subscriptions"). */
export interface ServiceEvent {
  type: 'breaker' | 'sync' | 'version' | 'cache';
  /** `null` for a whole-cache clear. */
  service: string | null;
  /** Breaker or sync state before (breaker, sync), version before (version). */
  from: string | null;
  /** The state or version after. */
  to: string | null;
  /** ISO-8601. */
  at: string;
  /** Which gateway process saw it (`GATEWAY_REPLICA_ID`, else hostname:pid). */
  replica: string;
}

/** A cache clear on one replica: every replica drops its in-process tiers for it. */
export interface CacheInvalidation {
  /** `null`: everything; otherwise entries built (even partly) from this service's answers. */
  service: string | null;
  /** The replica the clear was asked of. */
  replica: string;
  /** ISO-8601. */
  at: string;
}

/** The topics of the cluster bus and what each carries. */
export type GatewayTopics = {
  'service-events': [ServiceEvent];
  'cache-invalidations': [CacheInvalidation];
};

export type GatewayPubSub = PubSub<GatewayTopics>;

/** Events one subscriber of the bus may have waiting (one that reads slowly); older ones are dropped first. */
export const SUBSCRIBER_BUFFER = 100;

/** Options of {@link createGatewayPubSub}. */
export interface GatewayPubSubOptions {
  /** `REDIS_URL`: events cross every replica through Redis pub/sub; unset: this process only. */
  redisUrl?: string;
  logger?: Logger;
  /** Prefix of the Redis channels, so several gateways (or test runs) can share one Redis. Default 'gw'. */
  namespace?: string;
}

/** The bus and how to stop it. */
export interface GatewayEventBus {
  readonly pubsub: GatewayPubSub;
  /** Whether the bus reaches other replicas now (`undefined` without Redis). */
  readonly redisConnected: boolean | undefined;
  /** Closes the Redis connections; local delivery keeps working. Idempotent. */
  close(): Promise<void>;
}

/** What crosses Redis: the payload and which bus sent it (so the sender does not deliver it twice). */
interface Envelope {
  o: string;
  d: unknown;
}

const isEnvelope = (v: unknown): v is Envelope => typeof v === 'object' && v !== null && typeof (v as Envelope).o === 'string' && 'd' in v;

/**
 * The gateway's event bus: graphql-yoga's `createPubSub` over an event target that delivers to
 * this process's subscribers at once and, with `redisUrl`, to every other replica's through
 * `@graphql-yoga/redis-event-target`.
 *
 * Local delivery never depends on Redis: the Redis target alone would deliver a replica's own
 * events only on their way back from Redis (lost while it is down), and its publish is not
 * awaited nor caught (an unhandled rejection while disconnected). So `dispatchEvent` delivers
 * locally, then publishes with the error caught; messages coming back from Redis carry the
 * sender's id and are skipped by the bus that sent them. `publish` never throws or waits.
 */
export function createGatewayPubSub(options: GatewayPubSubOptions = {}): GatewayEventBus {
  const local = new EventTarget();
  const { logger } = options;
  if (!options.redisUrl) {
    const pubsub = bounded(createPubSub<GatewayTopics>({ eventTarget: local as TypedEventTarget<CustomEvent> }));
    return { pubsub, redisConnected: undefined, close: async () => undefined };
  }

  const origin = randomUUID();
  const prefix = `${options.namespace ?? 'gw'}:events:`;
  const retryStrategy = (times: number): number => Math.min(100 * 2 ** times, 2000) + Math.floor(Math.random() * 100);
  // Publishing must fail fast (no offline queue, no retries): a lost cross-replica event is
  // better than a request waiting on Redis.
  const publishClient = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy,
  });
  // The subscriber queues its SUBSCRIBEs until connected and re-subscribes after each reconnect.
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: null, connectTimeout: 2000, retryStrategy });
  let down = false;
  const onError = (err: unknown): void => {
    if (down) return;
    down = true;
    logger?.warn({ err }, 'event bus: Redis unreachable, events reach this replica only until it is back');
  };
  publishClient.on('error', onError);
  subscribeClient.on('error', onError);
  subscribeClient.on('ready', () => {
    if (!down) return;
    down = false;
    logger?.info('event bus: Redis back, events reach every replica again');
  });

  const remote = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  const bridged = new Set<string>();
  const bridge = (topic: string): void => {
    if (bridged.has(topic)) return;
    bridged.add(topic);
    remote.addEventListener(prefix + topic, (event) => {
      const message = event.detail as unknown;
      if (!isEnvelope(message) || message.o === origin) return;
      local.dispatchEvent(new CustomEvent(topic, { detail: message.d }));
    });
  };

  const target: TypedEventTarget<CustomEvent> = {
    addEventListener(topic, listener) {
      bridge(topic);
      local.addEventListener(topic, listener as EventListener);
    },
    removeEventListener(topic, listener) {
      local.removeEventListener(topic, listener as EventListener);
    },
    dispatchEvent(event) {
      local.dispatchEvent(new CustomEvent(event.type, { detail: event.detail as unknown }));
      const message: Envelope = { o: origin, d: event.detail };
      publishClient.publish(prefix + event.type, JSON.stringify(message)).catch(onError);
      return true;
    },
  };
  // Subscribed up front, so a replica hears the other replicas' events before its first local subscriber.
  for (const topic of ['service-events', 'cache-invalidations'] satisfies (keyof GatewayTopics)[]) bridge(topic);

  let closed: Promise<void> | undefined;
  return {
    pubsub: bounded(createPubSub<GatewayTopics>({ eventTarget: target })),
    get redisConnected() {
      return subscribeClient.status === 'ready' && publishClient.status === 'ready';
    },
    close() {
      closed ??= (async () => {
        await Promise.all([quit(publishClient), quit(subscribeClient)]);
      })();
      return closed;
    },
  };
}

/**
 * Yoga's pubsub with every subscriber's stream bounded. Its own stream holds at most 1024
 * undelivered events and then throws from the publisher's dispatch (an uncaught exception: the
 * process would exit). A subscriber that stops reading (a stalled tab, a full TCP window, a slow
 * listener) must cost a bounded buffer, not the gateway: each stream is drained at once into a
 * sliding buffer of its latest {@link SUBSCRIBER_BUFFER} events.
 */
function bounded(pubsub: GatewayPubSub): GatewayPubSub {
  const subscribe = (topic: keyof GatewayTopics): Repeater<unknown> =>
    new Repeater<unknown>(async (push, stop) => {
      const events = pubsub.subscribe(topic);
      void stop.then(() => events.return());
      for await (const event of events) void push(event);
    }, new SlidingBuffer(SUBSCRIBER_BUFFER));
  return { publish: pubsub.publish, subscribe } as GatewayPubSub;
}

/** QUIT when connected (bounded: a hung Redis must not hold shutdown), otherwise just drop the socket. */
async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 500);
      timer.unref();
    });
    await Promise.race([client.quit().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
  client.disconnect();
}
