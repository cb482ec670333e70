import type { StatusEvent } from './status-snapshot.js';

/**
 * The latest service events, newest first, for the server-rendered `/status` (the live page
 * follows the subscription itself). Reads one stream of the cluster bus from start to `close()`.
 */
export class RecentEvents {
  readonly #events: StatusEvent[] = [];
  readonly #source: AsyncIterableIterator<StatusEvent>;

  constructor(source: AsyncIterableIterator<StatusEvent>, limit: number, onError: (err: unknown) => void = () => undefined) {
    this.#source = source;
    const events = this.#events;
    // Read as events come (nothing piles up); should the stream fail, the page keeps what it has.
    (async () => {
      for await (const event of source) {
        events.unshift(event);
        if (events.length > limit) events.length = limit;
      }
    })().catch(onError);
  }

  /** Newest first. */
  list(): readonly StatusEvent[] {
    return this.#events;
  }

  async close(): Promise<void> {
    await this.#source.return?.();
  }
}
