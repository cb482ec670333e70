export { SyncMonitor, poolProbeGet, HISTORY_LIMIT, type SyncMonitorOptions, type SyncReport, type SyncDetailedReport, type DetailedServiceSync, type SyncHistoryEntry, type SyncStateChange } from './sync-monitor.js';
export { SYNC_STATES, SYNC_DISABLED, classify, worstState, stateRank, exitCodeFor, type SyncState, type BaseSyncState, type ServiceSync, type Observation } from './sync-states.js';
export { probeService, parseJsonBody, readProbeBody, MAX_PROBE_BODY_BYTES, HEALTH_ROUTE, STATUS_ROUTE, type ProbeGet, type ProbeResponse, type ProbeResult } from './health-probe.js';
export { AlertWebhook, type AlertWebhookOptions, type SyncAlertEvent, type SyncStateChangedEvent, type ExpectedVersionChangedEvent } from './alert-webhook.js';
export { systemClock, type SyncClock } from './sync-clock.js';
