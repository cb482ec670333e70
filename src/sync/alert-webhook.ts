import type { Logger } from 'pino';
import { request } from 'undici';
import { withRetry } from '../resilience/index.js';
import { signRequest } from '../upstreams/signing.js';
import type { SyncState } from './sync-states.js';

/** The JSON body POSTed to `SYNC_ALERT_WEBHOOK_URL`: a sync state change, or an auto-updated expected version. */
export type SyncAlertEvent = SyncStateChangedEvent | ExpectedVersionChangedEvent;

/** One service's sync state changed. */
export interface SyncStateChangedEvent {
  type: 'sync.state_changed';
  /** Increases by one per event of this gateway process: receivers can order what arrives out of order. */
  sequence: number;
  service: string;
  previousState: SyncState | null;
  state: SyncState;
  version: string | null;
  expectedVersion: string;
  outOfSyncSince: string | null;
  error: string | null;
  /** When the change happened (ISO-8601 UTC). */
  at: string;
}

/** Auto-update moved the expected version (up or down) to the one every service reports. */
export interface ExpectedVersionChangedEvent {
  type: 'sync.expected_version_changed';
  sequence: number;
  /** The expected version before and after. */
  from: string;
  to: string;
  direction: 'up' | 'down';
  /** The services that agreed on `to`. */
  services: string[];
  at: string;
}

export interface AlertWebhookOptions {
  url: string;
  logger: Logger;
  /** Signs each POST like every other outbound call (`backends.md`). */
  signingSecret?: string;
  /** Retries after the first try (default 5). */
  retries?: number;
  /** First backoff delay in ms (default 1000), doubled per retry up to `maxTimeoutMs` (default 30000). */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Budget of one attempt (default 5000 ms). */
  attemptTimeoutMs?: number;
  /** Events in delivery at once; past it new events are dropped with a warning (default 100). */
  maxPending?: number;
  /**
   * With several replicas: claims an event's key (a short Redis lease, `SET NX PX`) before it is
   * sent; a replica whose claim fails leaves the alert to the one that won. Resolves `true` when
   * this replica should send (also when Redis cannot be asked: a duplicate beats a lost alert).
   */
  claim?: (key: string) => Promise<boolean>;
}

/**
 * The idempotency key of an event across replicas: the same transition seen by every replica
 * (service, states, versions) has one key; a different transition never shares it.
 */
export function alertKey(event: SyncAlertEvent): string {
  return event.type === 'sync.state_changed'
    ? `state:${event.service}:${event.previousState ?? 'none'}:${event.state}:${event.version ?? 'none'}:${event.expectedVersion}`
    : `expected:${event.from}:${event.to}`;
}

/** The fields that name an event in the webhook's own log lines. */
function describe(event: SyncAlertEvent): Record<string, unknown> {
  return event.type === 'sync.state_changed'
    ? { service: event.service, state: event.state }
    : { type: event.type, from: event.from, to: event.to };
}

class WebhookHttpError extends Error {
  constructor(readonly status: number) {
    super(`webhook answered HTTP ${status}`);
  }
}

/** A 4xx (but 408/429) is a configuration problem that retrying will not fix; anything else (5xx, network) may pass. */
function worthRetrying(err: unknown): boolean {
  return !(err instanceof WebhookHttpError) || err.status >= 500 || err.status === 408 || err.status === 429;
}

/**
 * Delivers sync alerts to a webhook: fire-and-forget for the monitor (it never waits for or
 * fails on a delivery), retried with the gateway's one retry loop (jittered exponential
 * backoff), bounded, and cancelled on `close()`.
 */
export class AlertWebhook {
  readonly #opts: Required<Omit<AlertWebhookOptions, 'signingSecret' | 'claim'>> & Pick<AlertWebhookOptions, 'signingSecret' | 'claim'>;
  readonly #pending = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #target: URL;

  constructor(opts: AlertWebhookOptions) {
    this.#opts = { retries: 5, minTimeoutMs: 1000, maxTimeoutMs: 30_000, attemptTimeoutMs: 5000, maxPending: 100, ...opts };
    this.#target = new URL(opts.url);
  }

  /** Queues one event for delivery; returns at once. */
  send(event: SyncAlertEvent): void {
    if (this.#abort.signal.aborted) return;
    const log = this.#opts.logger;
    const about = describe(event);
    if (this.#pending.size >= this.#opts.maxPending) {
      log.warn(about, 'sync alert webhook backlog full: event dropped');
      return;
    }
    const delivery = this.#claimed(event)
      .then((mine) => {
        if (mine) return this.#deliver(event);
        log.debug(about, 'sync alert sent by another replica');
      })
      .catch((err: unknown) => {
        if (this.#abort.signal.aborted) return;
        log.error({ ...about, err: (err as Error).message }, 'sync alert webhook delivery failed');
      })
      .finally(() => this.#pending.delete(delivery));
    this.#pending.add(delivery);
  }

  /** Resolves once every queued event is delivered or given up (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Cancels pending deliveries and their backoff timers. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#pending]);
  }

  async #claimed(event: SyncAlertEvent): Promise<boolean> {
    const { claim } = this.#opts;
    if (!claim) return true;
    return claim(alertKey(event)).catch(() => true);
  }

  async #deliver(event: SyncAlertEvent): Promise<void> {
    const body = JSON.stringify(event);
    const pathWithQuery = `${this.#target.pathname}${this.#target.search}`;
    const o = this.#opts;
    await withRetry(
      async () => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'knowledge-gateway-sync-alerts' };
        if (o.signingSecret) Object.assign(headers, signRequest(o.signingSecret, { method: 'POST', pathWithQuery, body }));
        const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(o.attemptTimeoutMs)]);
        const res = await request(this.#target, { method: 'POST', headers, body, signal });
        await res.body.dump();
        if (res.statusCode < 200 || res.statusCode >= 300) throw new WebhookHttpError(res.statusCode);
      },
      {
        retries: o.retries,
        // No budget of its own: a delivery may take minutes of backoff; close() ends it.
        signal: this.#abort.signal,
        minDelayMs: o.minTimeoutMs,
        maxDelayMs: o.maxTimeoutMs,
        shouldRetry: worthRetrying,
        onRetry: (error, attempt) =>
          o.logger.debug({ ...describe(event), attempt, err: (error as Error).message }, 'sync alert webhook attempt failed; retrying'),
      },
    );
  }
}
