import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ServiceName } from '../../../src/config/index.js';
import { HISTORY_LIMIT, SyncMonitor, type ProbeGet } from '../../../src/sync/index.js';
import { ServiceVersions } from '../../../src/upstreams/index.js';
import { ManualClock } from './manual-clock.js';

/** The monitor's state machine with an in-memory "service" per name (the HTTP side is proven in test/integration/sync-*.test.ts). */
type Fake = { version: string | null; down?: boolean };

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({
    JWT_SECRET: 'x'.repeat(40),
    AUTH_SERVICE_URL: 'http://auth.test',
    COMMENT_SERVICE_URL: 'http://comment.test',
    INDUSTRY_SERVICE_URL: 'http://industry.test',
    NPS_SERVICE_URL: 'http://nps.test',
    SYNC_CHECK_INTERVAL: '60000',
    SYNC_WARNING_THRESHOLD: '300000',
    SYNC_CRITICAL_THRESHOLD: '600000',
    SYNC_AUTO_UPDATE: 'false',
    ...env,
  });
  const fakes: Record<ServiceName, Fake> = {
    auth: { version: '1.0.0' },
    comment: { version: '1.0.0' },
    industry: { version: '1.0.0' },
    nps: { version: '1.0.0' },
  };
  const clock = new ManualClock();
  const versions = new ServiceVersions(() => clock.now());
  const probeGet =
    (name: ServiceName): ProbeGet =>
    async (path) => {
      const fake = fakes[name];
      if (fake.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      if (path !== '/health') return { status: 404, headers: {}, body: { error: 'not_found' } };
      return {
        status: 200,
        headers: {},
        body: fake.version === null ? { status: 'healthy' } : { status: 'healthy', sharedKnowledgeVersion: fake.version },
      };
    };
  const monitor = new SyncMonitor({
    config: config.sync,
    clients: { auth: {}, comment: {}, industry: {}, nps: {} } as never,
    versions,
    logger: pino({ level: 'silent' }),
    probeTimeoutMs: () => 2000,
    clock,
    probeGet,
  });
  return { monitor, fakes, clock, versions };
}

describe('SyncMonitor state machine', () => {
  it('an unreachable service escalates like any other: warning and critical from outOfSyncSince', async () => {
    const { monitor, fakes, clock } = setup();
    fakes.nps.down = true;
    await monitor.check();
    const since = monitor.serviceSync('nps')!.outOfSyncSince;
    expect(monitor.serviceSync('nps')!.state).toBe('unreachable');
    await clock.advance(300_000);
    // A poll in between does not reset outOfSyncSince (moves between bad states neither).
    fakes.nps.down = false;
    fakes.nps.version = '0.9.0';
    await monitor.check();
    expect(monitor.serviceSync('nps')).toMatchObject({ state: 'warning', outOfSyncSince: since, version: '0.9.0' });
    await clock.advance(300_000);
    expect(monitor.serviceSync('nps')!.state).toBe('critical');
    expect(monitor.report().status).toBe('critical');
    await monitor.close();
  });

  it('emits exactly one stateChange per transition and keeps a bounded history', async () => {
    const { monitor, fakes } = setup();
    const changes: string[] = [];
    monitor.on('stateChange', (c) => changes.push(`${c.service}:${c.previousState}->${c.state}`));
    await monitor.check();
    await monitor.check();
    expect(changes).toEqual(['auth:null->in_sync', 'comment:null->in_sync', 'industry:null->in_sync', 'nps:null->in_sync']);
    changes.length = 0;
    for (let i = 0; i < HISTORY_LIMIT; i++) {
      fakes.auth.version = i % 2 === 0 ? '2.0.0' : '1.0.0';
      await monitor.check();
    }
    expect(changes).toHaveLength(HISTORY_LIMIT);
    const history = monitor.detailedReport().services[0]!.history;
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]!.from).not.toBeNull();
    await monitor.close();
  });

  it('a header version moves the state at once; a version that merely repeats does nothing', async () => {
    const { monitor, versions } = setup();
    monitor.start();
    await monitor.check();
    const changes: string[] = [];
    monitor.on('stateChange', (c) => changes.push(`${c.service}:${c.state}`));
    versions.observe('industry', '1.0.0', 'header');
    expect(changes).toEqual([]);
    versions.observe('industry', '1.1.0', 'header');
    expect(changes).toEqual(['industry:out_of_sync']);
    expect(monitor.serviceSync('industry')!.version).toBe('1.1.0');
    await monitor.close();
  });

  it('auto-update needs every reachable service to report the same valid version', async () => {
    const { monitor, fakes } = setup({ SYNC_AUTO_UPDATE: 'true' });
    fakes.auth.version = fakes.comment.version = fakes.industry.version = '1.2.0';
    fakes.nps.version = null;
    await monitor.check();
    expect(monitor.expectedVersion).toBe('1.0.0');
    fakes.nps.version = 'v1.2.0';
    await monitor.check();
    expect(monitor.expectedVersion).toBe('1.2.0');
    expect(monitor.report().status).toBe('in_sync');
    await monitor.close();
  });

  it('disabled: start() schedules nothing and the report says so', async () => {
    const { monitor, clock } = setup({ FEATURE_SYNC_MONITORING: 'false' });
    monitor.start();
    expect(clock.pending).toBe(0);
    expect(await monitor.check()).toMatchObject({ status: 'disabled', enabled: false, services: [] });
    expect(monitor.serviceSync('auth')).toBeNull();
    await monitor.close();
  });
});
