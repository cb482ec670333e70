import type { GatewayPubSub, ServiceEvent } from '../events/index.js';

/**
 * The latest `service-events` of the cluster bus, newest first, for the server-rendered
 * `/status` (the live page follows the subscription itself). One subscription for the whole
 * gateway, kept from start to `close()`.
 */
export class RecentEvents {
  readonly #events: ServiceEvent[] = [];
  readonly #stop: () => Promise<unknown>;

  constructor(pubsub: GatewayPubSub, limit: number) {
    const subscription = pubsub.subscribe('service-events');
    this.#stop = () => subscription.return();
    const events = this.#events;
    void (async () => {
      for await (const event of subscription as AsyncIterable<ServiceEvent>) {
        events.unshift(event);
        if (events.length > limit) events.length = limit;
      }
    })();
  }

  /** Newest first. */
  list(): readonly ServiceEvent[] {
    return this.#events;
  }

  async close(): Promise<void> {
    await this.#stop();
  }
}
