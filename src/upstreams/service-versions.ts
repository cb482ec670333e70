import { EventEmitter } from 'node:events';
import type { ServiceName } from '../config/index.js';

export interface ObservedVersion {
  version: string | null;
  observedAt: number;
  /** Where the gateway learnt it: a response header between polls, or a health poll. */
  source: 'header' | 'poll';
}

/**
 * The shared knowledge version each service last reported. Every upstream response with
 * `x-shared-knowledge-version` updates it at once, so cache keys (and the sync monitor)
 * follow a deploy without waiting for the next poll. Emits `change` (service, next, previous)
 * only when the version actually changes.
 */
export class ServiceVersions extends EventEmitter<{ change: [ServiceName, ObservedVersion, ObservedVersion | undefined] }> {
  readonly #versions = new Map<ServiceName, ObservedVersion>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  /** The version to key cache entries by; `null` until the service has reported one. */
  get(service: ServiceName): string | null {
    return this.#versions.get(service)?.version ?? null;
  }

  entry(service: ServiceName): ObservedVersion | undefined {
    return this.#versions.get(service);
  }

  observe(service: ServiceName, version: string | null, source: ObservedVersion['source'] = 'header'): void {
    const previous = this.#versions.get(service);
    const next = { version, observedAt: this.now(), source };
    this.#versions.set(service, next);
    if (previous?.version !== version) this.emit('change', service, next, previous);
  }
}
