import { describe, expect, it } from 'vitest';
import { classify, exitCodeFor, SYNC_STATES, worstState } from '../../../src/sync/index.js';

describe('sync states', () => {
  it('orders states best to worst as gateway.md does', () => {
    expect(SYNC_STATES).toEqual(['in_sync', 'unknown', 'out_of_sync', 'unreachable', 'warning', 'critical']);
    expect(worstState([])).toBe('in_sync');
    expect(worstState(['in_sync', 'unreachable', 'out_of_sync'])).toBe('unreachable');
    expect(worstState(['warning', 'unreachable'])).toBe('warning');
  });

  it('classifies one observation, comparing versions as semver', () => {
    expect(classify({ reachable: true, version: '1.0.0' }, '1.0.0')).toEqual({ state: 'in_sync', error: null });
    expect(classify({ reachable: true, version: '1.0.0+build.7' }, '1.0.0').state).toBe('in_sync');
    expect(classify({ reachable: true, version: '1.10.0' }, '1.9.0')).toEqual({
      state: 'out_of_sync',
      error: 'the service runs 1.10.0, newer than the expected 1.9.0',
    });
    expect(classify({ reachable: true, version: '1.0.0-rc.1' }, '1.0.0').error).toMatch(/older/);
    expect(classify({ reachable: true, version: null }, '1.0.0')).toEqual({
      state: 'unknown',
      error: 'the service reports no shared knowledge version',
    });
    expect(classify({ reachable: true, version: '1.0' }, '1.0.0')).toMatchObject({
      state: 'unknown',
      error: expect.stringMatching(/"1\.0".*not a valid semantic version/),
    });
    expect(
      classify({ reachable: false, version: '1.0.0', error: 'health check failed: connection refused (ECONNREFUSED)' }, '1.0.0'),
    ).toEqual({
      state: 'unreachable',
      error: 'health check failed: connection refused (ECONNREFUSED)',
    });
  });

  it('maps the overall state to the CLI exit codes of gateway.md', () => {
    expect(SYNC_STATES.map((s) => [s, exitCodeFor(s)])).toEqual([
      ['in_sync', 0],
      ['unknown', 1],
      ['out_of_sync', 1],
      ['unreachable', 2],
      ['warning', 1],
      ['critical', 2],
    ]);
  });
});
