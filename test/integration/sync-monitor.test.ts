import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/**
 * The shared-knowledge sync monitor against the real reference backends, with the
 * monitor's time driven by a manual clock (no real waiting on thresholds or intervals).
 */
const MIN = 60_000;
const WARNING = 5 * MIN;
const CRITICAL = 10 * MIN;
/** So long that no scheduled round fires while a test moves the clock (escalation must not need polls). */
const NO_POLLS = String(24 * 60 * MIN);

describe('sync monitor', () => {
  const stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.close()));
  });

  async function start(env: Record<string, string> = {}) {
    const clock = new ManualClock();
    const stack = await startStack({
      env: {
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_CHECK_INTERVAL: NO_POLLS,
        SYNC_WARNING_THRESHOLD: String(WARNING),
        SYNC_CRITICAL_THRESHOLD: String(CRITICAL),
        SYNC_AUTO_UPDATE: 'false',
        ...env,
      },
      app: { sync: { clock } },
    });
    stacks.push(stack);
    const sync = stack.app.services.sync;
    // The first round started with the app; this joins it.
    await sync.check();
    const state = (name: string) => sync.serviceSync(name)?.state;
    const healthSync = async () => {
      const res = await fetch(`${stack.url}/health/sync`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { services: Array<Record<string, unknown>> } };
    };
    return { stack, clock, sync, state, healthSync };
  }

  it('starts in sync: every service checked (signed, traced), /health/sync 200 in_sync', async () => {
    const { stack, healthSync } = await start();
    const res = await healthSync();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'in_sync', expectedVersion: '1.0.0' });
    expect(res.body.checkedAt).toEqual(expect.any(String));
    expect(res.body.services.map((s) => [s.name, s.state, s.version])).toEqual([
      ['auth', 'in_sync', '1.0.0'],
      ['comment', 'in_sync', '1.0.0'],
      ['industry', 'in_sync', '1.0.0'],
      ['nps', 'in_sync', '1.0.0'],
    ]);
    for (const backend of stack.backends.all) {
      const probes = backend.requests.all().filter((r) => r.path === '/health' || r.path === '/api/shared-knowledge/status');
      expect(probes).toHaveLength(2);
      for (const p of probes) {
        expect(p.signatureValid).toBe(true);
        expect(p.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        expect(p.headers['x-request-id']).toMatch(/^sync-/);
      }
    }
    // The first in-sync check is no alert.
    expect(stack.logs.lines.filter((l) => l.msg === 'sync state changed' || l.msg === 'sync recovered')).toHaveLength(0);
  });

  it('a service moved to a newer version: out_of_sync, then warning and critical exactly at the thresholds; 503 only at critical; one info line on recovery', async () => {
    const { stack, clock, sync, state, healthSync } = await start();
    stack.backends.comment.faults.set({ version: '1.1.0' });
    await sync.check();
    expect(state('comment')).toBe('out_of_sync');
    expect(state('auth')).toBe('in_sync');
    let res = await healthSync();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('out_of_sync');
    const comment = res.body.services.find((s) => s.name === 'comment')!;
    expect(comment).toMatchObject({ version: '1.1.0', expectedVersion: '1.0.0', outOfSyncSince: new Date(clock.now()).toISOString() });
    expect(comment.error).toMatch(/1\.1\.0.*newer.*1\.0\.0/);

    await clock.advance(WARNING - 1);
    expect(state('comment')).toBe('out_of_sync');
    await clock.advance(1);
    expect(state('comment')).toBe('warning');
    res = await healthSync();
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('warning');

    await clock.advance(CRITICAL - WARNING - 1);
    expect(state('comment')).toBe('warning');
    expect((await healthSync()).status).toBe(200);
    await clock.advance(1);
    expect(state('comment')).toBe('critical');
    res = await healthSync();
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('critical');

    // One line per change, none per poll.
    await sync.check();
    await sync.check();
    const changes = stack.logs.find('sync state changed').filter((l) => l.service === 'comment');
    expect(changes.map((l) => [l.state, l.level])).toEqual([
      ['out_of_sync', 40],
      ['warning', 40],
      ['critical', 50],
    ]);

    stack.backends.comment.faults.set({ version: '1.0.0' });
    await sync.check();
    await sync.check();
    expect(state('comment')).toBe('in_sync');
    const recovered = stack.logs.find('sync recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: 30, service: 'comment', previousState: 'critical', state: 'in_sync' });
    res = await healthSync();
    expect(res.status).toBe(200);
    expect(res.body.services.find((s) => s.name === 'comment')!.outOfSyncSince).toBeNull();

    const detailed = sync.detailedReport().services.find((s) => s.name === 'comment')!;
    expect(detailed.history.map((h) => [h.from, h.state])).toEqual([
      [null, 'in_sync'],
      ['in_sync', 'out_of_sync'],
      ['out_of_sync', 'warning'],
      ['warning', 'critical'],
      ['critical', 'in_sync'],
    ]);
  });

  it('an unreachable and a hanging service each end as unreachable without delaying the others', async () => {
    const { stack, clock, sync, state } = await start({ ORCHESTRATION_TIMEOUT: '2000' });
    await stack.backends.nps.close();
    stack.backends.industry.faults.set({ healthHang: true });
    await clock.advance(1000);
    const checkStarted = clock.now();

    let done = false;
    const round = sync.check().then((r) => {
      done = true;
      return r;
    });
    // Everyone but the hanging service has its verdict while that one still hangs.
    await vi.waitFor(() => {
      expect(state('nps')).toBe('unreachable');
      for (const name of ['auth', 'comment']) expect(sync.serviceSync(name)!.lastCheckedAt).toBe(new Date(checkStarted).toISOString());
    });
    expect(done).toBe(false);
    expect(state('industry')).toBe('in_sync');
    expect(sync.serviceSync('nps')!.error).toMatch(/health check failed: (connection refused|connection closed)/);

    // Its own budget runs out (2 s of monitor time): unreachable, and the round is over.
    await clock.advance(2000);
    const report = await round;
    expect(report.services.find((s) => s.name === 'industry')).toMatchObject({
      state: 'unreachable',
      error: expect.stringMatching(/did not answer within 2000 ms/),
    });
    expect(report.status).toBe('unreachable');
    expect(state('auth')).toBe('in_sync');
    const unreachableLines = stack.logs.find('sync state changed').filter((l) => l.state === 'unreachable');
    expect(unreachableLines.map((l) => [l.service, l.level]).sort()).toEqual([
      ['industry', 50],
      ['nps', 50],
    ]);

    // The hang does not hold up the next round: it runs and checks the others again.
    const before = stack.backendRequests('auth', '/health');
    const next = sync.check();
    await vi.waitFor(() => expect(stack.backendRequests('auth', '/health')).toBe(before + 1));
    await clock.advance(2000);
    expect((await next).services.find((s) => s.name === 'industry')!.state).toBe('unreachable');
  });

  it('a check gets the service\'s whole call budget, not 80% of a shorter interval: just under it stays in_sync, past it is unreachable and "slow"', async () => {
    // Budget 2000 ms, interval 1000 ms: the old cap gave up after 800 ms. The answer is held
    // (healthHang) while the monitor's clock moves, then released: no real waiting.
    const { stack, clock, sync, state } = await start({ ORCHESTRATION_TIMEOUT: '2000', SYNC_CHECK_INTERVAL: '1000' });
    const probes = () => stack.backendRequests('industry', '/health');
    const before = probes();
    stack.backends.industry.faults.set({ healthHang: true });
    const round = sync.check();
    await vi.waitFor(() => expect(probes()).toBe(before + 1));
    await clock.advance(1999);
    stack.backends.industry.faults.set({ healthHang: false });
    const report = await round;
    expect(report.services.find((s) => s.name === 'industry')).toMatchObject({
      state: 'in_sync',
      healthy: true,
      error: null,
      lastCheckedAt: new Date(clock.now()).toISOString(),
    });
    // The tick that fell due meanwhile joined that round: rounds never overlap.
    expect(probes()).toBe(before + 1);

    stack.backends.industry.faults.set({ healthHang: true });
    const late = sync.check();
    await vi.waitFor(() => expect(probes()).toBe(before + 2));
    await clock.advance(2000);
    expect((await late).services.find((s) => s.name === 'industry')).toMatchObject({
      state: 'unreachable',
      error: 'health check did not answer within 2000 ms (slow)',
    });
    expect(state('auth')).toBe('in_sync');
  });

  it('a stopped service is unreachable because the connection was refused; a reset connection says reset', async () => {
    // A "service" that resets every connection as soon as it sends a request (TCP RST).
    const resetter = createTcpServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    const { port } = resetter.address() as AddressInfo;
    try {
      const { stack, sync } = await start({ COMMENT_SERVICE_URL: `http://127.0.0.1:${port}` });
      await stack.backends.nps.close();
      // The first round after the stop may still find the old keep-alive connection closing.
      await sync.check();
      const report = await sync.check();
      expect(report.services.find((s) => s.name === 'nps')).toMatchObject({
        state: 'unreachable',
        error: 'health check failed: connection refused (ECONNREFUSED)',
      });
      expect(report.services.find((s) => s.name === 'comment')).toMatchObject({
        state: 'unreachable',
        error: 'health check failed: connection reset (ECONNRESET)',
      });
      expect(report.services.find((s) => s.name === 'auth')!.state).toBe('in_sync');
    } finally {
      await new Promise((resolve) => resetter.close(resolve));
    }
  });

  it('health checks bypass an open breaker and are never counted by it', async () => {
    const { stack, sync, state } = await start({ CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', ORCHESTRATION_RETRY_ATTEMPTS: '0' });
    const breaker = stack.app.services.upstreams.clients.comment.breaker;
    stack.backends.comment.faults.set({ failStatus: 500 });
    const token = await stack.token('u1');
    for (let i = 0; i < 2; i++) await stack.graphql('{ user(id: "u1") { comments { id } } }', {}, { token });
    expect(breaker.state).toBe('OPEN');
    const before = { ...breaker.stats };
    const polls = stack.backendRequests('comment', '/health');

    stack.backends.comment.faults.set({ version: '1.4.0' });
    await sync.check();
    expect(stack.backendRequests('comment', '/health')).toBe(polls + 1);
    expect(state('comment')).toBe('out_of_sync');
    expect(breaker.state).toBe('OPEN');
    expect(breaker.stats).toMatchObject({ failures: before.failures, successes: before.successes, rejects: before.rejects });
  });

  it('the version seen in a response header changes the state before the next poll', async () => {
    const { stack, sync, state } = await start();
    const polls = stack.backendRequests('comment', '/health');
    stack.backends.comment.faults.set({ version: '2.0.0' });
    const token = await stack.token('u1');
    const res = await fetch(`${stack.url}/api/comments?userId=u1`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-shared-knowledge-version')).toBe('2.0.0');
    expect(state('comment')).toBe('out_of_sync');
    expect(sync.serviceSync('comment')!.version).toBe('2.0.0');
    expect(stack.backendRequests('comment', '/health')).toBe(polls);
    expect(stack.logs.find('sync state changed').filter((l) => l.service === 'comment')).toHaveLength(1);
  });

  it('auto-update adopts the version every service agrees on, newer or older (a rollback), and logs each change', async () => {
    const { stack, sync, state } = await start({ SYNC_AUTO_UPDATE: 'true' });
    for (const b of stack.backends.all) b.faults.set({ version: '1.1.0' });
    const report = await sync.check();
    expect(report.expectedVersion).toBe('1.1.0');
    expect(report.status).toBe('in_sync');
    const adopted = stack.logs.find('sync auto-update: expected shared knowledge version updated');
    expect(adopted).toHaveLength(1);
    expect(adopted[0]).toMatchObject({ level: 30, previousVersion: '1.0.0', expectedVersion: '1.1.0', direction: 'up' });

    // Half rolled back: not agreed yet, those are out of sync.
    for (const name of ['auth', 'comment'] as const) stack.backends[name].faults.set({ version: '1.0.5' });
    expect((await sync.check()).expectedVersion).toBe('1.1.0');
    expect(state('auth')).toBe('out_of_sync');
    for (const name of ['industry', 'nps'] as const) stack.backends[name].faults.set({ version: '1.0.5' });
    const after = await sync.check();
    expect(after.expectedVersion).toBe('1.0.5');
    expect(after.status).toBe('in_sync');
    expect(state('auth')).toBe('in_sync');
    const changes = stack.logs.find('sync auto-update: expected shared knowledge version updated');
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({
      level: 40,
      previousVersion: '1.1.0',
      expectedVersion: '1.0.5',
      direction: 'down',
      services: ['auth', 'comment', 'industry', 'nps'],
    });
  });

  it('auto-update waits until every reachable service agrees', async () => {
    const { stack, sync } = await start({ SYNC_AUTO_UPDATE: 'true' });
    stack.backends.auth.faults.set({ version: '1.1.0' });
    expect((await sync.check()).expectedVersion).toBe('1.0.0');
    await stack.backends.nps.close();
    for (const name of ['comment', 'industry'] as const) stack.backends[name].faults.set({ version: '1.1.0' });
    const report = await sync.check();
    expect(report.expectedVersion).toBe('1.1.0');
    expect(report.services.find((s) => s.name === 'nps')!.state).toBe('unreachable');
  });

  it('a version not valid semver, or none at all, is unknown and says which', async () => {
    const { stack, sync } = await start();
    stack.backends.industry.faults.set({ version: 'banana' });
    stack.backends.nps.faults.set({ version: null });
    const report = await sync.check();
    expect(report.services.find((s) => s.name === 'industry')).toMatchObject({
      state: 'unknown',
      error: expect.stringMatching(/"banana".*not a valid semantic version/),
    });
    expect(report.services.find((s) => s.name === 'nps')).toMatchObject({
      state: 'unknown',
      version: null,
      error: expect.stringMatching(/no shared knowledge version/),
    });
    expect(report.status).toBe('unknown');
  });

  it('an unhealthy (503) service keeps its sync state from the version it reports', async () => {
    const { stack, sync } = await start();
    stack.backends.auth.faults.set({ unhealthy: true });
    const report = await sync.check();
    expect(report.services.find((s) => s.name === 'auth')).toMatchObject({ state: 'in_sync', healthy: false });
    expect(sync.healthy('auth')).toBe(false);
    expect(sync.healthy('comment')).toBe(true);
  });

  it('version-aware caching: after a service changes version, the next read reaches it instead of the cache', async () => {
    const { stack, sync } = await start();
    const admin = await stack.token('u2', 'admin');
    const reads = () => stack.backends.auth.requests.count((r) => r.path.startsWith('/api/users'));
    const query = '{ user(id: "u1") { id name } }';
    expect((await stack.graphql(query, {}, { token: admin })).body.errors).toBeUndefined();
    expect(reads()).toBe(1);
    await stack.graphql(query, {}, { token: admin });
    expect(reads()).toBe(1);

    stack.backends.auth.faults.set({ version: '1.2.0' });
    await sync.check();
    const res = await stack.graphql(query, {}, { token: admin });
    expect(res.body.data).toEqual({ user: { id: 'u1', name: expect.any(String) } });
    expect(reads()).toBe(2);
    await stack.graphql(query, {}, { token: admin });
    expect(reads()).toBe(2);
  });

  it('rounds follow SYNC_CHECK_INTERVAL and stop on close', async () => {
    const { stack, clock } = await start({ SYNC_CHECK_INTERVAL: String(MIN) });
    const polls = () => stack.backendRequests('auth', '/health');
    expect(polls()).toBe(1);
    await clock.advance(MIN);
    await vi.waitFor(() => expect(polls()).toBe(2));
    await stack.app.close();
    await clock.advance(5 * MIN);
    expect(polls()).toBe(2);
    expect(clock.pending).toBe(0);
  });
});
