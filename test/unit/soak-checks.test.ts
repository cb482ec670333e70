import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  breakerOpenIntervals,
  documentedCodes,
  explainReport,
  falseReports,
  unexpectedLogLines,
  unexplained5xx,
  type Answer,
} from '../../soak/checks.js';
import { buildSchedule, parseDuration, type ScheduledFault } from '../../soak/schedule.js';

const answer = (over: Partial<Answer>): Answer => ({
  kind: 'dashboard',
  replica: 0,
  what: 'userDashboard',
  startMs: 0,
  endMs: 100,
  status: 200,
  codes: [],
  reports: [],
  ...over,
});
const reset: ScheduledFault = {
  label: 'comment resets',
  target: 'comment',
  faults: { reset: true },
  startMs: 10_000,
  endMs: 20_000,
  failing: true,
};
const bump: ScheduledFault = {
  label: 'comment version',
  target: 'comment',
  faults: { version: '1.1.0' },
  startMs: 40_000,
  endMs: 50_000,
  failing: false,
};

describe('the soak schedule', () => {
  it('scales with the duration, keeps warm-up and quiet tail, and ends every fault before the tail', () => {
    for (const seconds of [60, 600]) {
      const s = buildSchedule(seconds * 1000);
      expect(s.warmupMs).toBeGreaterThanOrEqual(20_000);
      expect(s.durationMs - s.quietFromMs).toBeGreaterThanOrEqual(20_000);
      for (const f of s.faults) {
        expect(f.startMs).toBeGreaterThanOrEqual(s.warmupMs);
        expect(f.endMs).toBeLessThanOrEqual(s.quietFromMs);
        expect(f.endMs).toBeGreaterThan(f.startMs);
      }
      expect(new Set(s.faults.map((f) => f.target))).toEqual(new Set(['auth', 'comment', 'industry', 'nps', 'redis']));
    }
    const short = buildSchedule(60_000).faults[0]!;
    const long = buildSchedule(600_000).faults[0]!;
    expect(long.endMs - long.startMs).toBeGreaterThan(5 * (short.endMs - short.startMs));
  });

  it('overlaps the comment reset with an NPS hang that outlasts it (the independent soak’s case)', () => {
    const { faults } = buildSchedule(600_000);
    const commentReset = faults.find((f) => f.target === 'comment' && f.faults?.reset)!;
    const npsHang = faults.find((f) => f.target === 'nps' && f.faults?.hang && !f.faults.healthHang)!;
    expect(npsHang.startMs).toBeLessThan(commentReset.endMs);
    expect(npsHang.endMs).toBeGreaterThan(commentReset.endMs + 10_000);
  });

  it('refuses a duration too short for faults and recovery; parses 600, 90s, 10m, 1m30s', () => {
    expect(() => buildSchedule(30_000)).toThrow(RangeError);
    expect([parseDuration('600'), parseDuration('90s'), parseDuration('10m'), parseDuration('1m30s')]).toEqual([
      600_000, 90_000, 600_000, 90_000,
    ]);
    expect(parseDuration('ten')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});

describe('soak check: a service is reported failed only while faulted or its breaker is open', () => {
  const grace = 3000;
  const breakers = breakerOpenIntervals(
    [
      { replica: 1, service: 'comment', atMs: 30_000, to: 'OPEN' },
      { replica: 1, service: 'comment', atMs: 33_000, to: 'HALF_OPEN' },
      { replica: 1, service: 'comment', atMs: 33_050, to: 'CLOSED' },
    ],
    60_000,
  );

  it('explains a report during the fault, or from a request that began within the grace after it', () => {
    expect(explainReport(answer({ startMs: 15_000, endMs: 15_100 }), 'comment', [reset], breakers, grace)).toMatch(/fault/);
    // Began before the fault ended and was answered long after (a hung NPS held the dashboard).
    expect(explainReport(answer({ startMs: 19_500, endMs: 31_000 }), 'comment', [reset], breakers, grace)).toMatch(/fault/);
    expect(explainReport(answer({ startMs: 22_000, endMs: 22_100 }), 'comment', [reset], breakers, grace)).toMatch(/fault/);
  });

  it('flags the independent soak’s case: comment reported unavailable 11 s after its reset ended', () => {
    const late = answer({ startMs: 31_000, endMs: 31_200, replica: 0, reports: [{ service: 'comment', code: 'SERVICE_UNAVAILABLE' }] });
    expect(explainReport(late, 'comment', [reset], breakers, grace)).toBeNull();
    const found = falseReports([late], [reset], breakers, grace);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ service: 'comment', code: 'SERVICE_UNAVAILABLE', sinceFaultEndMs: 11_000 });
  });

  it('explains it by that replica’s own breaker only', () => {
    const r = { startMs: 31_000, endMs: 31_200 };
    expect(explainReport(answer({ ...r, replica: 1 }), 'comment', [reset], breakers, grace)).toBe('breaker open');
    expect(explainReport(answer({ ...r, replica: 2 }), 'comment', [reset], breakers, grace)).toBeNull();
    expect(explainReport(answer({ ...r, replica: 1 }), 'nps', [reset], breakers, grace)).toBeNull();
  });

  it('does not let a version bump (the service still answers) explain a failure', () => {
    expect(explainReport(answer({ startMs: 45_000, endMs: 45_100 }), 'comment', [bump], breakers, grace)).toBeNull();
  });

  it('keeps a breaker that never closed open until the end of the run', () => {
    const open = breakerOpenIntervals([{ replica: 0, service: 'nps', atMs: 5000, to: 'OPEN' }], 9000);
    expect(open.get('0:nps')).toEqual([{ fromMs: 5000, toMs: 9000 }]);
  });
});

describe('soak check: every gateway 5xx is explained', () => {
  const documented = documentedCodes(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8'));

  it('reads the codes of docs/errors.md', () => {
    expect(documented.has('SERVICE_UNAVAILABLE')).toBe(true);
    expect(documented.has('UPSTREAM_TIMEOUT')).toBe(true);
    expect(documented.size).toBeGreaterThan(10);
  });

  it('accepts documented upstream codes and relayed backend answers; flags INTERNAL_SERVER_ERROR, unknown codes and bare 5xx', () => {
    const ok = [
      answer({ status: 503, codes: ['SERVICE_UNAVAILABLE'] }),
      answer({ status: 504, codes: ['UPSTREAM_TIMEOUT'] }),
      answer({ status: 500, kind: 'passthrough-read', relayedFrom: 'auth' }),
      answer({ status: 200, codes: ['SERVICE_UNAVAILABLE'] }),
    ];
    const bad = [
      answer({ status: 500, codes: ['INTERNAL_SERVER_ERROR'] }),
      answer({ status: 502, codes: ['SOMETHING_ELSE'] }),
      answer({ status: 502, codes: [] }),
    ];
    expect(unexplained5xx([...ok, ...bad], documented)).toEqual(bad);
  });
});

describe('soak check: error-level log lines', () => {
  it('expects the sync monitor’s error line only for a service that is faulted at the time', () => {
    const during = { replica: 0, atMs: 15_000, level: 50, msg: 'sync state changed {...}', service: 'comment' };
    const after = { ...during, atMs: 40_000 };
    const other = { replica: 0, atMs: 15_000, level: 50, msg: 'unexpected error {...}' };
    expect(unexpectedLogLines([during, after, other], [reset], 3000)).toEqual([after, other]);
  });
});
