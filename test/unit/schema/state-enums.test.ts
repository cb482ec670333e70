import { execute, getNamedType, isEnumType, parse, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BREAKER_STATES } from '../../../src/resilience/index.js';
import { getSchema } from '../../../src/schema/index.js';
import { SYNC_DISABLED, SYNC_STATES } from '../../../src/sync/index.js';

const schema = getSchema();

function fieldTypeName(type: string, field: string): string {
  return getNamedType((schema.getType(type) as GraphQLObjectType).getFields()[field]!.type).name;
}

function enumValues(name: string): string[] {
  const type = schema.getType(name);
  if (!isEnumType(type)) throw new Error(`${name} is not an enum`);
  return type.getValues().map((v) => v.value as string);
}

describe('breaker and sync states are GraphQL enums with the same values', () => {
  it('types Breaker.state as BreakerState (CLOSED, OPEN, HALF_OPEN)', () => {
    expect(fieldTypeName('Breaker', 'state')).toBe('BreakerState');
    expect(enumValues('BreakerState').sort()).toEqual([...BREAKER_STATES].sort());
  });

  it('types ServiceSync.state as SyncState and SyncStatus.status as SyncStatusState (with disabled)', () => {
    expect(fieldTypeName('ServiceSync', 'state')).toBe('SyncState');
    expect(enumValues('SyncState').sort()).toEqual([...SYNC_STATES].sort());
    expect(fieldTypeName('SyncStatus', 'status')).toBe('SyncStatusState');
    expect(enumValues('SyncStatusState').sort()).toEqual([...SYNC_STATES, SYNC_DISABLED].sort());
  });

  it('serializes the lower-case sync states as they are (graphql-js as the oracle)', async () => {
    const report = {
      status: 'out_of_sync',
      enabled: true,
      message: null,
      expectedVersion: '1.0.0',
      checkedAt: null,
      services: [{ name: 'auth', version: '0.9.0', expectedVersion: '1.0.0', state: 'out_of_sync', outOfSyncSince: null, lastUpdated: null, lastCheckedAt: null, error: null }],
    };
    const contextValue = {
      principal: { id: 'admin', role: 'admin', scopes: [] },
      services: { config: { monitoringPublic: true }, sync: { report: () => report } },
    };
    const result = await execute({ schema, document: parse('{ syncStatus { status services { state } } }'), contextValue });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ syncStatus: { status: 'out_of_sync', services: [{ state: 'out_of_sync' }] } });
  });
});
