import semver from 'semver';

/**
 * The sync states of `gateway.md`, from best to worst. The first four come from one check
 * (the "base" state); `warning` and `critical` from how long a service has not been in sync.
 */
export const SYNC_STATES = ['in_sync', 'unknown', 'out_of_sync', 'unreachable', 'warning', 'critical'] as const;
export type SyncState = (typeof SYNC_STATES)[number];
export type BaseSyncState = Extract<SyncState, 'in_sync' | 'unknown' | 'out_of_sync' | 'unreachable'>;

/** The overall status when `FEATURE_SYNC_MONITORING=false`. */
export const SYNC_DISABLED = 'disabled';

export function stateRank(state: SyncState): number {
  return SYNC_STATES.indexOf(state);
}

/** The worst of `states`; `in_sync` for none. */
export function worstState(states: Iterable<SyncState>): SyncState {
  let worst: SyncState = 'in_sync';
  for (const s of states) if (stateRank(s) > stateRank(worst)) worst = s;
  return worst;
}

/** One service's sync, as `gateway.md` defines `ServiceSync` (times are ISO-8601 UTC or null). */
export interface ServiceSync {
  name: string;
  version: string | null;
  expectedVersion: string;
  state: SyncState;
  outOfSyncSince: string | null;
  lastUpdated: string | null;
  lastCheckedAt: string | null;
  error: string | null;
}

/** What one check (or one response header) told the gateway about a service. */
export interface Observation {
  /** False when the check failed to connect or timed out. */
  reachable: boolean;
  /** The reported version, exactly as reported (null: none reported). */
  version: string | null;
  /** Why the service is unreachable, when it is. */
  error?: string;
}

/** The state one observation puts a service in, and why when it is not `in_sync`. */
export function classify(obs: Observation, expectedVersion: string): { state: BaseSyncState; error: string | null } {
  if (!obs.reachable) return { state: 'unreachable', error: obs.error ?? 'the service could not be reached' };
  if (obs.version === null) return { state: 'unknown', error: 'the service reports no shared knowledge version' };
  if (semver.valid(obs.version) === null) {
    return { state: 'unknown', error: `the service reports "${obs.version}", which is not a valid semantic version` };
  }
  if (semver.eq(obs.version, expectedVersion)) return { state: 'in_sync', error: null };
  const direction = semver.gt(obs.version, expectedVersion) ? 'newer' : 'older';
  return { state: 'out_of_sync', error: `the service runs ${obs.version}, ${direction} than the expected ${expectedVersion}` };
}

/** Exit code of `npm run sync:check` for an overall state (`gateway.md`). */
export function exitCodeFor(state: SyncState): 0 | 1 | 2 {
  if (state === 'in_sync') return 0;
  if (state === 'unreachable' || state === 'critical') return 2;
  return 1;
}
