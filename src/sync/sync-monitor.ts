import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import semver from 'semver';
import type { GatewayConfig, ServiceName } from '../config/index.js';
import { continueTrace } from '../observability/trace-context.js';
import type { CallContext, ObservedVersion, ServiceClient, ServiceVersions } from '../upstreams/index.js';
import { AlertWebhook, type AlertWebhookOptions, type SyncAlertEvent } from './alert-webhook.js';
import { clientProbeGet, probeService, type ProbeGet, type ProbeResult } from './health-probe.js';
import { ServiceSyncState, type SyncHistoryEntry, type SyncTransition } from './service-sync-state.js';
import { systemClock, type SyncClock } from './sync-clock.js';
import { SYNC_DISABLED, worstState, type ServiceSync, type SyncState } from './sync-states.js';

/** `GET /health/sync`, GraphQL `syncStatus`. */
export interface SyncReport {
  status: SyncState | typeof SYNC_DISABLED;
  enabled: boolean;
  expectedVersion: string;
  /** When the last round of checks finished (null before the first). */
  checkedAt: string | null;
  services: ServiceSync[];
  /** Set when monitoring is disabled. */
  message?: string;
}

export interface DetailedServiceSync extends ServiceSync {
  /** Whether `/health` answered 2xx at the last check (null before the first). */
  healthy: boolean | null;
  history: SyncHistoryEntry[];
}

/** `GET /api/gateway/sync/status` and `POST /api/gateway/sync/force`. */
export interface SyncDetailedReport extends Omit<SyncReport, 'services'> {
  autoUpdate: boolean;
  checkIntervalMs: number;
  warningThresholdMs: number;
  criticalThresholdMs: number;
  services: DetailedServiceSync[];
}

export interface SyncStateChange {
  service: ServiceName;
  previousState: SyncState | null;
  state: SyncState;
  sync: ServiceSync;
}

export interface SyncMonitorOptions {
  config: GatewayConfig['sync'];
  /** The services to check, each with its client (pool, signing, tracing). */
  clients: Readonly<Record<ServiceName, ServiceClient>>;
  versions: ServiceVersions;
  logger: Logger;
  /**
   * Budget of one service's check: that service's call budget, so a service its data calls
   * find fast enough is never called unreachable by its check. Not capped by the interval
   * (a round outlasting it delays the next one; rounds never overlap).
   */
  probeTimeoutMs: (service: ServiceName) => number;
  /** Signs webhook POSTs. */
  signingSecret?: string;
  /** Time and timers (tests pass a manual clock). Default: real, `unref()`ed timers. */
  clock?: SyncClock;
  /** Webhook retry tuning (tests shorten the backoff), and the cross-replica `claim` of each alert. */
  webhook?: Partial<Omit<AlertWebhookOptions, 'url' | 'logger' | 'signingSecret'>>;
  /** Replaces the HTTP GET of a check (unit tests). Default: the service's pool, signed and traced. */
  probeGet?: (service: ServiceName, ctx: CallContext) => ProbeGet;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const LOG_LEVEL: Record<SyncState, 'info' | 'warn' | 'error'> = {
  in_sync: 'info',
  unknown: 'warn',
  out_of_sync: 'warn',
  warning: 'warn',
  unreachable: 'error',
  critical: 'error',
};

/**
 * Knows, at every moment, whether every service runs the expected shared knowledge version.
 *
 * The scheduler around one {@link ServiceSyncState} per service (the state machines): a round
 * of checks every `SYNC_CHECK_INTERVAL` (all services in parallel, each with its own budget,
 * rounds never overlapping), forced rounds (shared by concurrent callers), every version a
 * response header carries (`ServiceVersions` `change`), and auto-update of the expected
 * version. Each transition of a state machine becomes one log line, one webhook alert and
 * one `stateChange` event here.
 */
export class SyncMonitor extends EventEmitter<{ stateChange: [SyncStateChange] }> {
  readonly enabled: boolean;
  readonly #opts: SyncMonitorOptions;
  readonly #clock: SyncClock;
  readonly #log: Logger;
  readonly #records = new Map<ServiceName, ServiceSyncState>();
  readonly #webhook?: AlertWebhook;
  #expected: string;
  #checkedAt: number | null = null;
  #round: Promise<void> | undefined;
  #roundAbort: AbortController | undefined;
  #timer: unknown;
  #started = false;
  #closed = false;
  #sequence = 0;
  /** The forced round new forces share (waiting for a round in flight, or running). */
  #forced: Promise<SyncDetailedReport> | undefined;
  readonly #onVersionChange = (service: ServiceName, next: ObservedVersion) => this.#observeHeader(service, next);

  constructor(opts: SyncMonitorOptions) {
    super();
    this.#opts = opts;
    this.enabled = opts.config.enabled;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger.child({ component: 'sync' });
    this.#expected = semver.valid(opts.config.expectedVersion) ?? opts.config.expectedVersion;
    const { warningThresholdMs, criticalThresholdMs } = opts.config;
    for (const name of Object.keys(opts.clients) as ServiceName[]) {
      const state = new ServiceSyncState({
        name,
        clock: this.#clock,
        expectedVersion: () => this.#expected,
        warningThresholdMs,
        criticalThresholdMs,
      });
      state.on('transition', (t) => this.#onTransition(t));
      this.#records.set(name, state);
    }
    if (this.enabled && opts.config.alertWebhookUrl) {
      this.#webhook = new AlertWebhook({
        url: opts.config.alertWebhookUrl,
        logger: this.#log,
        signingSecret: opts.signingSecret,
        ...opts.webhook,
      });
    }
  }

  get expectedVersion(): string {
    return this.#expected;
  }

  /** Starts the checks (first round at once); a no-op when monitoring is disabled or already started. */
  start(): void {
    if (!this.enabled || this.#started || this.#closed) return;
    this.#started = true;
    this.#opts.versions.on('change', this.#onVersionChange);
    this.#tick();
  }

  /** Stops the timer, aborts a round in flight, cancels webhook deliveries. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimeout(this.#timer);
    for (const rec of this.#records.values()) rec.close();
    this.#opts.versions.off('change', this.#onVersionChange);
    this.#roundAbort?.abort();
    await Promise.allSettled([this.#round, this.#webhook?.close()]);
  }

  /**
   * Checks every service now and resolves to the fresh report. Concurrent callers (and a
   * scheduled round already in flight) share one round.
   */
  async check(): Promise<SyncDetailedReport> {
    if (this.enabled && !this.#closed) await this.#runRound();
    return this.detailedReport();
  }

  /**
   * The admin's forced check (`POST /api/gateway/sync/force`, `forceSync`): the report of a
   * round that began after this call. A round already in flight began before it (it may have
   * probed before the change the admin is checking for), so the force waits it out — rounds
   * never overlap — and then begins a new one. Forces arriving while that forced round waits
   * or runs share it; once it is over, the next force begins another.
   */
  force(): Promise<SyncDetailedReport> {
    if (!this.enabled || this.#closed) return Promise.resolve(this.detailedReport());
    this.#forced ??= this.#forcedRound().finally(() => {
      this.#forced = undefined;
    });
    return this.#forced;
  }

  async #forcedRound(): Promise<SyncDetailedReport> {
    while (this.#round) await this.#round.catch(() => undefined);
    if (!this.#closed) await this.#runRound();
    return this.detailedReport();
  }

  /** Waits for webhook deliveries in progress (tests). */
  async flushAlerts(): Promise<void> {
    await this.#webhook?.flush();
  }

  report(): SyncReport {
    const { services, ...rest } = this.detailedReport();
    return { ...rest, services: services.map(({ healthy: _h, history: _hi, ...sync }) => sync) } as SyncReport;
  }

  detailedReport(): SyncDetailedReport {
    const c = this.#opts.config;
    const base = {
      enabled: this.enabled,
      expectedVersion: this.#expected,
      checkedAt: iso(this.#checkedAt),
      autoUpdate: c.autoUpdate,
      checkIntervalMs: c.checkIntervalMs,
      warningThresholdMs: c.warningThresholdMs,
      criticalThresholdMs: c.criticalThresholdMs,
    };
    if (!this.enabled) {
      return { status: SYNC_DISABLED, ...base, services: [], message: 'Sync monitoring is disabled (FEATURE_SYNC_MONITORING=false).' };
    }
    this.#refresh();
    const services = [...this.#records.values()].map((rec) => ({ ...rec.sync(), healthy: rec.healthy, history: [...rec.history] }));
    return { status: worstState(services.map((s) => s.state)), ...base, services };
  }

  /** One service's sync (GraphQL `Service.sync`); null for an unknown name or when disabled. */
  serviceSync(name: string): ServiceSync | null {
    const rec = this.#records.get(name as ServiceName);
    if (!rec || !this.enabled) return null;
    this.#refresh();
    return rec.sync();
  }

  /** Whether the service's `/health` answered 2xx at the last check (null: not checked yet or disabled). */
  healthy(name: string): boolean | null {
    return this.#records.get(name as ServiceName)?.healthy ?? null;
  }

  #tick(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#opts.config.checkIntervalMs);
    this.#runRound().catch((err: unknown) => this.#log.error({ err }, 'sync round failed'));
  }

  #runRound(): Promise<void> {
    this.#round ??= this.#checkAll().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  async #checkAll(): Promise<void> {
    const abort = (this.#roundAbort = new AbortController());
    const ctx: CallContext = { requestId: `sync-${randomUUID()}`, traceparent: continueTrace(undefined).traceparent };
    await Promise.all(
      [...this.#records.keys()].map(async (name) => {
        const timeoutMs = Math.max(1, this.#opts.probeTimeoutMs(name));
        const get = this.#opts.probeGet?.(name, ctx) ?? clientProbeGet(this.#opts.clients[name], ctx, timeoutMs);
        const result = await probeService(get, { timeoutMs, clock: this.#clock, signal: abort.signal });
        // Applied as each answer arrives: a slow service never holds back the others' states.
        if (!abort.signal.aborted) this.#applyProbe(name, result);
      }),
    );
    if (abort.signal.aborted) return;
    this.#checkedAt = this.#clock.now();
    this.#maybeAutoUpdate();
  }

  #applyProbe(name: ServiceName, result: ProbeResult): void {
    if (result.reachable && result.version !== null) this.#opts.versions.observe(name, result.version, 'poll');
    this.#records.get(name)!.applyProbe(result);
  }

  /** Passive detection: a version seen on any upstream response moves the state at once. */
  #observeHeader(name: ServiceName, next: ObservedVersion): void {
    if (next.source !== 'header' || this.#closed) return;
    const rec = this.#records.get(name);
    if (!rec) return;
    rec.observeVersion(next.version);
    this.#maybeAutoUpdate();
  }

  /** Re-evaluates every checked service (escalation is a function of time). */
  #refresh(): void {
    for (const rec of this.#records.values()) if (!rec.pending) rec.evaluate();
  }

  /** One transition of one service: one log line, one webhook alert, one `stateChange` event. */
  #onTransition({ service, previousState: previous, state: next, sync, at }: SyncTransition): void {
    const fields = {
      service,
      previousState: previous,
      state: next,
      version: sync.version,
      expectedVersion: this.#expected,
      outOfSyncSince: sync.outOfSyncSince,
      error: sync.error,
    };
    if (previous === null) {
      // The first check establishes a state; it is only an alert when that state is bad.
      this.#log[next === 'in_sync' ? 'info' : LOG_LEVEL[next]](fields, 'sync state established');
    } else {
      this.#log[LOG_LEVEL[next]](fields, next === 'in_sync' ? 'sync recovered' : 'sync state changed');
    }
    if (this.#webhook && !(previous === null && next === 'in_sync')) {
      const event: SyncAlertEvent = { type: 'sync.state_changed', sequence: ++this.#sequence, ...fields, at: iso(at)! };
      this.#webhook.send(event);
    }
    this.emit('stateChange', { service, previousState: previous, state: next, sync });
  }

  /**
   * Auto-update: when every reachable service reports one valid version other than the
   * expected one, that version becomes the expected one — down as well as up, so a rollback
   * does not leave every service out of sync (and the gateway critical) until a restart.
   * Each change is logged and sent to the webhook.
   */
  #maybeAutoUpdate(): void {
    if (!this.#opts.config.autoUpdate) return;
    const reachable = [...this.#records.values()].filter((r) => r.base !== 'unreachable');
    if (reachable.length === 0) return;
    const reported = new Set(reachable.map((r) => (r.pending || r.version === null ? null : semver.valid(r.version))));
    if (reported.size !== 1) return;
    const [agreed] = [...reported];
    if (!agreed || semver.eq(agreed, this.#expected)) return;
    const previous = this.#expected;
    const direction = semver.valid(previous) !== null && semver.lt(agreed, previous) ? 'down' : 'up';
    const agreeing = reachable.map((r) => r.name);
    this.#expected = agreed;
    this.#log[direction === 'down' ? 'warn' : 'info'](
      { previousVersion: previous, expectedVersion: agreed, direction, services: agreeing },
      'sync auto-update: expected shared knowledge version updated',
    );
    this.#webhook?.send({
      type: 'sync.expected_version_changed',
      sequence: ++this.#sequence,
      from: previous,
      to: agreed,
      direction,
      services: agreeing,
      at: iso(this.#clock.now())!,
    });
    for (const rec of this.#records.values()) rec.reclassify();
  }
}
