export {
  SyncMonitor,
  type SyncMonitorOptions,
  type SyncReport,
  type SyncDetailedReport,
  type DetailedServiceSync,
  type SyncStateChange,
} from './sync-monitor.js';
export {
  ServiceSyncState,
  HISTORY_LIMIT,
  type SyncHistoryEntry,
  type SyncTransition,
  type ServiceSyncStateOptions,
} from './service-sync-state.js';
export {
  SYNC_STATES,
  SYNC_DISABLED,
  classify,
  worstState,
  stateRank,
  exitCodeFor,
  type SyncState,
  type BaseSyncState,
  type ServiceSync,
  type Observation,
} from './sync-states.js';
export {
  probeService,
  clientProbeGet,
  parseJsonBody,
  readProbeBody,
  MAX_PROBE_BODY_BYTES,
  HEALTH_ROUTE,
  STATUS_ROUTE,
  type ProbeGet,
  type ProbeResponse,
  type ProbeResult,
} from './health-probe.js';
export {
  AlertWebhook,
  type AlertWebhookOptions,
  type SyncAlertEvent,
  type SyncStateChangedEvent,
  type ExpectedVersionChangedEvent,
} from './alert-webhook.js';
export { systemClock, type SyncClock } from './sync-clock.js';
