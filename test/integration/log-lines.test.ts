import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { createGatewayApp, type GatewayApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { DashboardDocument } from '../generated/graphql.js';
import { duplicateKeys } from '../support/json-keys.js';
import { gatewayEnv, mintToken, TEST_JWT_SECRET, TEST_SIGNING_SECRET } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

/**
 * The real logger of a real gateway writes JSON lines with unique keys (a parser
 * that keeps the first of two `service` keys lost the upstream's name). The raw text is
 * checked, since JSON.parse silently keeps the last duplicate.
 */
describe('log lines of a running gateway', () => {
  let backends: ReferenceBackends;
  let app: GatewayApp;
  let url: string;
  const raw: string[] = [];

  beforeAll(async () => {
    backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, signingSecret: TEST_SIGNING_SECRET });
    const config = loadConfig(
      {
        ...gatewayEnv(backends.urls),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'debug',
        FEATURE_SYNC_MONITORING: 'true',
        FEATURE_REQUEST_TRACING: 'true',
        SYNC_CHECK_INTERVAL: String(24 * 3_600_000),
        CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
      },
      'test',
    );
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) raw.push(line);
        done();
      },
    });
    app = await createGatewayApp({ config, logger: createLogger(config.log, stream), sync: { clock: new ManualClock() } });
    url = await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await backends?.close();
  });

  it('every line has unique keys, and upstream lines name their service under `service`', async () => {
    const admin = await mintToken(TEST_JWT_SECRET, 'u2', 'admin');
    const user = await mintToken(TEST_JWT_SECRET, 'u1', 'user');
    const gql = (query: string, token: string, variables: object = {}) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      }).then((r) => r.json());

    // Sync states established (one line per service), then a change.
    await app.services.sync.check();
    backends.comment.faults.set({ version: '1.1.0' });
    await app.services.sync.check();
    // Data calls (traced), a breaker opening, passthrough, admin actions over REST and GraphQL (audited).
    const { print } = await import('graphql');
    await gql(print(DashboardDocument), user, { userId: 'u1' });
    backends.nps.faults.set({ failStatus: 500 });
    await gql(print(DashboardDocument), admin, { userId: 'u3' });
    await fetch(`${url}/api/industries`, { headers: { authorization: `Bearer ${user}` } });
    await fetch(`${url}/api/gateway/circuit-breaker/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: '{"service":"nps"}',
    });
    await fetch(`${url}/api/gateway/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${user}` } });
    await gql('mutation { clearCache }', admin);
    await gql('mutation { forceSync { status } }', user);

    const lines = raw.map((text) => ({ text, obj: JSON.parse(text) as Record<string, unknown> }));
    expect(lines.length).toBeGreaterThan(20);
    const withDuplicates = lines
      .filter((l) => duplicateKeys(l.text).length > 0)
      .map((l) => `${duplicateKeys(l.text).join(',')}: ${l.text}`);
    expect(withDuplicates).toEqual([]);

    // The four "sync state established" lines now say which service each is about.
    const established = lines.filter((l) => l.obj.msg === 'sync state established');
    expect(established.map((l) => l.obj.service).sort()).toEqual(['auth', 'comment', 'industry', 'nps']);
    expect(lines.find((l) => l.obj.msg === 'circuit breaker opened')?.obj.service).toBe('nps');
    // The gateway's own name is still on every line, under a key of its own.
    expect(lines.every((l) => l.obj.app === 'gateway')).toBe(true);
    // Audit lines (REST and GraphQL, done and refused) are among the checked lines.
    expect(
      lines
        .filter((l) => l.obj.audit === true)
        .map((l) => `${String(l.obj.action)}:${String(l.obj.outcome)}`)
        .sort(),
    ).toEqual(['clearCache:refused', 'clearCache:success', 'forceSync:refused', 'resetBreaker:success']);
  });
});
