import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../reference-backends/index.js';
import { startStack, TEST_SIGNING_SECRET, type Stack } from '../support/stack.js';
import { ManualClock } from '../unit/sync/manual-clock.js';

const WEBHOOK_SECRET = 'a-webhook-only-secret-0123456789';

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver that fails the first `failures` deliveries with 500. */
async function startReceiver(failures: number): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(received.length <= failures ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** SYNC_ALERT_WEBHOOK_URL — one signed JSON event per state change, retried with backoff, never blocking the monitor. */
describe('sync alert webhook', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(
    webhookUrl: string,
    webhook: { retries?: number; minTimeoutMs?: number; maxTimeoutMs?: number },
    opts: { env?: Record<string, string>; signed?: boolean } = {},
  ): Promise<Stack> {
    const stack = await startStack({
      env: {
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_CHECK_INTERVAL: String(24 * 3_600_000),
        SYNC_ALERT_WEBHOOK_URL: webhookUrl,
        ...opts.env,
      },
      app: { sync: { clock: new ManualClock(), webhook } },
      ...(opts.signed === undefined ? {} : { signed: opts.signed }),
    });
    cleanups.push(() => stack.close());
    await stack.app.services.sync.check();
    return stack;
  }

  it('a receiver that fails twice still gets the event, signed, and the monitor never waits for it', async () => {
    const receiver = await startReceiver(2);
    cleanups.push(() => receiver.close());
    const stack = await start(`${receiver.url}/hooks/sync?team=ops`, { minTimeoutMs: 150, maxTimeoutMs: 300 });
    // The first, in-sync check is no alert.
    expect(receiver.received).toHaveLength(0);

    stack.backends.comment.faults.set({ version: '1.1.0' });
    const report = await stack.app.services.sync.check();
    expect(report.status).toBe('out_of_sync');
    expect(receiver.received.length).toBeLessThan(3);

    await stack.app.services.sync.flushAlerts();
    expect(receiver.received).toHaveLength(3);
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(bodies[2]).toMatchObject({
      type: 'sync.state_changed',
      sequence: 1,
      service: 'comment',
      previousState: 'in_sync',
      state: 'out_of_sync',
      version: '1.1.0',
      expectedVersion: '1.0.0',
      error: expect.stringMatching(/1\.1\.0/),
      at: expect.any(String),
    });
    const last = receiver.received[2]!;
    expect(last.url).toBe('/hooks/sync?team=ops');
    expect(last.headers['content-type']).toBe('application/json');
    expect(verifySignature({ secret: TEST_SIGNING_SECRET, method: 'POST', pathWithQuery: last.url, headers: last.headers })).toMatchObject({
      ok: true,
    });
    expect(stack.logs.find('sync alert webhook delivery failed')).toHaveLength(0);
  });

  it('a rollback with auto-update on (development): the expected version follows it down, /health/sync stays 200 past the critical threshold, the webhook hears each change', async () => {
    const receiver = await startReceiver(0);
    cleanups.push(() => receiver.close());
    const clock = new ManualClock();
    // The development profile: auto-update on by default, warning 5 min, critical 10 min.
    const stack = await startStack({
      // No scheduled round while the clock jumps (each would be cut off by its budget on the manual clock).
      env: {
        NODE_ENV: 'development',
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_CHECK_INTERVAL: String(24 * 3_600_000),
        SYNC_ALERT_WEBHOOK_URL: `${receiver.url}/hook`,
      },
      app: { sync: { clock } },
    });
    cleanups.push(() => stack.close());
    const sync = stack.app.services.sync;
    await sync.check();
    expect(sync.detailedReport()).toMatchObject({ autoUpdate: true, criticalThresholdMs: 600_000 });
    const healthSync = async () => {
      const res = await fetch(`${stack.url}/health/sync`);
      return { status: res.status, body: (await res.json()) as { status: string; expectedVersion: string } };
    };

    for (const b of stack.backends.all) b.faults.set({ version: '1.1.0' });
    expect((await sync.check()).expectedVersion).toBe('1.1.0');
    for (const b of stack.backends.all) b.faults.set({ version: '1.0.0' });
    expect((await sync.check()).expectedVersion).toBe('1.0.0');
    await clock.advance(11 * 60_000);
    const res = await healthSync();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'in_sync', expectedVersion: '1.0.0' });

    await sync.flushAlerts();
    const events = receiver.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const versionEvents = events.filter((e) => e.type === 'sync.expected_version_changed');
    expect(versionEvents).toEqual([
      expect.objectContaining({
        from: '1.0.0',
        to: '1.1.0',
        direction: 'up',
        services: ['auth', 'comment', 'industry', 'nps'],
        at: expect.any(String),
      }),
      expect.objectContaining({ from: '1.1.0', to: '1.0.0', direction: 'down' }),
    ]);
    // Within a round, services answering before the others agree are out of sync for a moment; all end in sync.
    const last = new Map(events.filter((e) => e.type === 'sync.state_changed').map((e) => [e.service, e.state]));
    expect([...last.values()].every((state) => state === 'in_sync')).toBe(true);
    expect(sync.report().services.map((s) => s.state)).toEqual(['in_sync', 'in_sync', 'in_sync', 'in_sync']);
    const logged = stack.logs.find('sync auto-update: expected shared knowledge version updated');
    expect(logged.map((l) => [l.previousVersion, l.expectedVersion])).toEqual([
      ['1.0.0', '1.1.0'],
      ['1.1.0', '1.0.0'],
    ]);
  });

  // The webhook receiver need not hold the backends' key.
  it('SYNC_ALERT_WEBHOOK_SECRET signs the webhook with its own key; backend calls keep GATEWAY_SIGNING_SECRET', async () => {
    const receiver = await startReceiver(0);
    cleanups.push(() => receiver.close());
    const stack = await start(
      `${receiver.url}/hook`,
      { minTimeoutMs: 10, maxTimeoutMs: 10 },
      { env: { SYNC_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET } },
    );
    stack.backends.nps.faults.set({ version: '2.0.0' });
    await stack.app.services.sync.check();
    await stack.app.services.sync.flushAlerts();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(verifySignature({ secret: WEBHOOK_SECRET, method: 'POST', pathWithQuery: got.url, headers: got.headers })).toMatchObject({
      ok: true,
    });
    expect(verifySignature({ secret: TEST_SIGNING_SECRET, method: 'POST', pathWithQuery: got.url, headers: got.headers })).toMatchObject({
      ok: false,
    });
    // The backends (which verify GATEWAY_SIGNING_SECRET) still accept the gateway's data calls.
    const token = await stack.token('u1');
    const { body } = await stack.graphql('{ user(id: "u1") { id } }', {}, { token });
    expect(body).toEqual({ data: { user: { id: 'u1' } } });
  });

  it('SYNC_ALERT_WEBHOOK_SECRET alone signs the webhook while backend calls stay unsigned', async () => {
    const receiver = await startReceiver(0);
    cleanups.push(() => receiver.close());
    const stack = await start(
      `${receiver.url}/hook`,
      { minTimeoutMs: 10, maxTimeoutMs: 10 },
      { env: { SYNC_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET }, signed: false },
    );
    stack.backends.nps.faults.set({ version: '2.0.0' });
    await stack.app.services.sync.check();
    await stack.app.services.sync.flushAlerts();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(verifySignature({ secret: WEBHOOK_SECRET, method: 'POST', pathWithQuery: got.url, headers: got.headers })).toMatchObject({
      ok: true,
    });
  });

  it('a dead webhook is given up with one error line and never crashes the monitor', async () => {
    const receiver = await startReceiver(0);
    const deadUrl = receiver.url;
    await receiver.close();
    const stack = await start(`${deadUrl}/hook`, { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 10 });
    stack.backends.auth.faults.set({ version: '0.9.0' });
    await stack.app.services.sync.check();
    await stack.app.services.sync.flushAlerts();
    expect(stack.logs.find('sync alert webhook delivery failed')).toHaveLength(1);
    stack.backends.auth.faults.set({ version: '1.0.0' });
    expect((await stack.app.services.sync.check()).status).toBe('in_sync');
  });
});
