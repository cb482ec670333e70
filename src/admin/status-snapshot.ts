import { SERVICE_NAMES } from '../config/index.js';
import type { GatewayServices } from '../context/index.js';
import type { ServiceEvent } from '../events/index.js';
import { gatewayStats, probeHealth, serviceView, type ServiceView } from './gateway-admin.js';

/** One entry of the page's event list: a `ServiceEvent` of the cluster bus. */
export type StatusEvent = ServiceEvent;

/** What `/status` shows: the monitoring reads of `services`, `stats` and `syncStatus`, in one object. */
export interface StatusSnapshot {
  replica: string;
  syncEnabled: boolean;
  syncStatus: string;
  expectedVersion: string;
  checkedAt: string | null;
  services: ServiceView[];
  cache: { hits: number; misses: number; keys: number; hitRate: number };
  /** Newest first. */
  events: StatusEvent[];
}

/** Events the page shows at most. */
export const STATUS_EVENT_LIMIT = 30;

/**
 * The current state for the server-rendered page. Health comes from the last check (the sync
 * monitor's, else at most one live check per `SYNC_CHECK_INTERVAL`), so a page view does not
 * turn into calls to every backend. `recent`: the latest events of the cluster bus, newest first.
 */
export async function statusSnapshot(
  services: GatewayServices,
  requestId: string,
  recent: readonly StatusEvent[] = [],
): Promise<StatusSnapshot> {
  const probed = await probeHealth(services, requestId, Math.min(2000, services.config.orchestration.timeoutMs));
  const stats = gatewayStats(services);
  const report = services.sync.detailedReport();
  // Sync transitions from this replica's own record (every replica checks every service, so
  // the bus would show each one once per replica); everything else from the bus, every replica.
  const syncEvents: StatusEvent[] = report.services.flatMap((s) =>
    s.history
      .filter((h) => h.from !== null)
      .map((h): StatusEvent => ({ type: 'sync', service: s.name, from: h.from, to: h.state, at: h.at, replica: stats.replica })),
  );
  const events = [...syncEvents, ...recent.filter((e) => e.type !== 'sync')]
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, STATUS_EVENT_LIMIT);
  return {
    replica: stats.replica,
    syncEnabled: report.enabled,
    syncStatus: report.status,
    expectedVersion: report.expectedVersion,
    checkedAt: report.checkedAt,
    services: SERVICE_NAMES.map((name) => serviceView(services, name, probed[name])),
    cache: stats.cache,
    events,
  };
}
