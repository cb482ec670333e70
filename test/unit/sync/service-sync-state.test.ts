import { describe, expect, it } from 'vitest';
import { ServiceSyncState, type SyncTransition } from '../../../src/sync/index.js';
import { ManualClock } from './manual-clock.js';

function machine(expected = '1.0.0') {
  const clock = new ManualClock();
  let expectedVersion = expected;
  const state = new ServiceSyncState({
    name: 'nps',
    clock,
    expectedVersion: () => expectedVersion,
    warningThresholdMs: 60_000,
    criticalThresholdMs: 120_000,
  });
  const events: SyncTransition[] = [];
  state.on('transition', (t) => events.push(t));
  return { clock, state, events, setExpected: (v: string) => (expectedVersion = v) };
}

const probe = (version: string | null, reachable = true) => ({
  reachable,
  healthy: reachable,
  version,
  lastUpdated: null,
  ...(reachable ? {} : { error: 'health check failed: connection refused (ECONNREFUSED)' }),
});

/** The per-service state machine, apart from the scheduler (opossum style: one event per transition). */
describe('ServiceSyncState', () => {
  it('emits exactly one transition per change of state, none per repeated input', () => {
    const { state, events } = machine();
    state.applyProbe(probe('1.0.0'));
    state.applyProbe(probe('1.0.0'));
    state.applyProbe(probe('1.1.0'));
    state.applyProbe(probe('1.1.0'));
    state.observeVersion('1.1.0');
    state.applyProbe(probe(null, false));
    expect(events.map((e) => [e.previousState, e.state])).toEqual([
      [null, 'in_sync'],
      ['in_sync', 'out_of_sync'],
      ['out_of_sync', 'unreachable'],
    ]);
    expect(state.history.map((h) => h.state)).toEqual(['in_sync', 'out_of_sync', 'unreachable']);
    expect(events[2]!.sync).toMatchObject({
      name: 'nps',
      state: 'unreachable',
      version: '1.1.0',
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('escalates at the thresholds by its own timer, and close() clears it', async () => {
    const { clock, state, events } = machine();
    state.applyProbe(probe('0.9.0'));
    await clock.advance(60_000);
    await clock.advance(60_000);
    expect(events.map((e) => e.state)).toEqual(['out_of_sync', 'warning', 'critical']);
    expect(state.sync().error).toMatch(/not in sync for 2 min/);
    state.reclassify();
    expect(events).toHaveLength(3);

    const other = machine();
    other.state.applyProbe(probe('0.9.0'));
    expect(other.clock.pending).toBe(1);
    other.state.close();
    expect(other.clock.pending).toBe(0);
  });

  it('a new expected version is applied on reclassify, not to an unreachable service', () => {
    const { state, events, setExpected } = machine();
    state.applyProbe(probe('1.1.0'));
    setExpected('1.1.0');
    state.reclassify();
    expect(events.map((e) => e.state)).toEqual(['out_of_sync', 'in_sync']);
    state.applyProbe(probe(null, false));
    setExpected('1.2.0');
    state.reclassify();
    expect(state.sync().state).toBe('unreachable');
  });
});
