import { GatewayError } from '../errors/index.js';
import type { GatewayPubSub, ServiceEvent } from './gateway-pubsub.js';

const TOPIC = 'service-events';

export interface ServiceEventsOptions {
  /** The cluster bus (`createGatewayPubSub`): in process, or every replica's through Redis. */
  pubsub: GatewayPubSub;
  /** This process (`GATEWAY_REPLICA_ID`): the `replica` of what it publishes. */
  replica: string;
  /** Open subscriptions this replica serves at most (`GRAPHQL_MAX_SUBSCRIPTIONS`). */
  maxSubscriptions: number;
  now?: () => number;
}

/** What a publisher says; `at` and `replica` are added here. */
export type ServiceEventInit = Omit<ServiceEvent, 'at' | 'replica'>;

/**
 * `Subscription.serviceEvents` over the cluster bus: publishes this replica's events and hands
 * each subscriber its own stream of every replica's, at most `maxSubscriptions` at a time.
 */
export class ServiceEvents {
  readonly #pubsub: GatewayPubSub;
  readonly #replica: string;
  readonly #max: number;
  readonly #now: () => number;
  /** The open streams: their number is `open`. */
  readonly #streams = new Set<AsyncIterableIterator<ServiceEvent>>();
  #closed = false;

  constructor(opts: ServiceEventsOptions) {
    this.#pubsub = opts.pubsub;
    this.#replica = opts.replica;
    this.#max = opts.maxSubscriptions;
    this.#now = opts.now ?? Date.now;
  }

  /** Subscriptions open on this replica now (`gateway_subscriptions_open`). */
  get open(): number {
    return this.#streams.size;
  }

  get maxSubscriptions(): number {
    return this.#max;
  }

  publish(event: ServiceEventInit): void {
    this.#pubsub.publish(TOPIC, { ...event, at: new Date(this.#now()).toISOString(), replica: this.#replica });
  }

  /**
   * A new subscriber's stream; `TOO_MANY_SUBSCRIPTIONS` when this replica serves its maximum.
   * The slot is given back once, however the stream ends: returned (the client went away),
   * thrown into, or failed.
   */
  subscribe(): AsyncIterableIterator<ServiceEvent> {
    if (this.#closed) throw new GatewayError('SERVICE_UNAVAILABLE', { message: 'This gateway replica is shutting down; subscribe again.' });
    if (this.#streams.size >= this.#max) {
      throw new GatewayError('TOO_MANY_SUBSCRIPTIONS', {
        message: `This gateway serves at most ${this.#max} subscriptions at a time; retry later or on another replica.`,
        retryAfterSeconds: 5,
      });
    }
    // The bus bounds what a subscriber that stops reading can hold (its latest SUBSCRIBER_BUFFER events).
    const source = this.#pubsub.subscribe(TOPIC);
    // Idempotent: however many ways the stream ends, its slot is given back once.
    const release = () => this.#streams.delete(stream);
    // By hand rather than an async generator around `source`: a generator returned before its
    // first `next()` never runs its `finally`, and the slot would stay taken.
    const stream: AsyncIterableIterator<ServiceEvent> = {
      async next() {
        try {
          const result = await source.next();
          if (result.done) release();
          return result as IteratorResult<ServiceEvent>;
        } catch (err) {
          release();
          throw err;
        }
      },
      async return(value?: unknown) {
        release();
        await source.return(value);
        return { done: true, value: undefined };
      },
      async throw(err?: unknown) {
        release();
        await source.return();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return stream;
      },
    };
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Ends every open stream (each client gets `complete` and may reconnect to another replica) and
   * refuses new ones: open streams would otherwise hold a shutdown for its whole grace period.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#streams].map((stream) => stream.return?.()));
  }
}
