import { SYNC_DISABLED, SYNC_STATES, type ServiceSync, type SyncReport } from '../sync/index.js';
import { SERVICE_NAMES } from '../config/index.js';
import { builder } from './builder.js';
import { listSize } from './cost.js';

/** `ServiceSync` of `gateway.md`; also `Service.sync` (see `gateway.ts`). */
export const SyncStateRef = builder.enumType('SyncState', {
  description: 'How far one service is from the expected shared knowledge version, from best to worst.',
  values: SYNC_STATES,
});
/** `SyncStatus.status`: the worst `SyncState` of every service, or `disabled`. */
export const SyncStatusStateRef = builder.enumType('SyncStatusState', {
  description: 'The worst SyncState of every service, or disabled when FEATURE_SYNC_MONITORING=false.',
  values: [...SYNC_STATES, SYNC_DISABLED] as const,
});
export const ServiceSyncRef = builder.objectRef<ServiceSync>('ServiceSync');
export const SyncStatusRef = builder.objectRef<SyncReport>('SyncStatus');

ServiceSyncRef.implement({
  description: 'Whether one service runs the shared knowledge version the gateway expects.',
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version', { nullable: true, description: 'The version the service last reported (null: none yet).' }),
    expectedVersion: t.exposeString('expectedVersion'),
    state: t.expose('state', { type: SyncStateRef }),
    outOfSyncSince: t.exposeString('outOfSyncSince', { nullable: true, description: 'When it last left in_sync (ISO-8601 UTC).' }),
    lastUpdated: t.exposeString('lastUpdated', { nullable: true, description: 'When its version last changed (its status route, else when the gateway saw it).' }),
    lastCheckedAt: t.exposeString('lastCheckedAt', { nullable: true }),
    error: t.exposeString('error', { nullable: true, description: 'Why it is not in_sync.' }),
  }),
});

SyncStatusRef.implement({
  description: 'The shared knowledge sync of every service; `status` is the worst state (or `disabled`).',
  fields: (t) => ({
    status: t.expose('status', { type: SyncStatusStateRef }),
    enabled: t.exposeBoolean('enabled', { description: 'False when FEATURE_SYNC_MONITORING=false.' }),
    message: t.exposeString('message', { nullable: true }),
    expectedVersion: t.exposeString('expectedVersion'),
    checkedAt: t.exposeString('checkedAt', { nullable: true, description: 'When the last round of checks finished.' }),
    services: t.expose('services', { type: [ServiceSyncRef], extensions: listSize({ estimate: SERVICE_NAMES.length }) }),
  }),
});

builder.queryField('syncStatus', (t) =>
  t.field({
    type: SyncStatusRef,
    description: 'The sync report (as `GET /health/sync`).',
    authScopes: { monitoring: true },
    resolve: (_root, _args, ctx) => ctx.services.sync.report(),
  }),
);

builder.mutationField('forceSync', (t) =>
  t.field({
    type: SyncStatusRef,
    description: 'Admin: checks every service now and answers the fresh report. Concurrent calls share one round.',
    authScopes: { admin: true },
    extensions: { adminAction: 'forceSync' },
    resolve: (_root, _args, ctx) => ctx.services.sync.force(),
  }),
);
