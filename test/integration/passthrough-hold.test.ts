import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadSha256, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { ServiceBreaker } from '../../src/resilience/index.js';
import { ServiceClient } from '../../src/upstreams/service-client.js';
import { ServiceVersions } from '../../src/upstreams/service-versions.js';
import { GatewayError } from '../../src/errors/index.js';
import { startStack, TEST_JWT_SECRET, waitFor, type Stack } from '../support/stack.js';

const DOWNLOAD_BYTES = 100 * 1024 * 1024;

interface Stalled {
  /** The answer's status, once its headers arrive (a download waiting for a connection has none yet). */
  status: Promise<number>;
  socket: Socket;
  /** Bytes read before the client stopped reading. */
  received: number;
}

/**
 * Opens a download and stops reading as soon as the first bytes of the answer are in: the
 * socket stays open and paused, so the gateway's writes back up.
 */
function openStalledDownload(stack: Stack, token: string, bytes = DOWNLOAD_BYTES): Stalled {
  const { hostname, port } = new URL(stack.url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  socket.once('connect', () => {
    socket.write(
      `GET /api/comments/echo/download?bytes=${bytes} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
  });
  const stalled: Stalled = {
    socket,
    received: 0,
    status: new Promise((resolve) => {
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        stalled.received = chunk.length;
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1]));
      });
    }),
  };
  return stalled;
}

/** Reads what is left on a stalled socket until it closes; the total bytes received. */
function drain(stalled: Stalled): Promise<number> {
  return new Promise((resolve) => {
    let total = stalled.received;
    stalled.socket.on('data', (c: Buffer) => (total += c.length));
    stalled.socket.once('close', () => resolve(total));
    stalled.socket.resume();
  });
}

/**
 * The 17th passthrough request of a caller with 16 in flight. The two last downloads may still
 * be on their way in: ask until the refusal comes (an answer that slips through is an echo).
 */
async function waitForRefusal(stack: Stack, token: string): Promise<{ status: number; retryAfter: unknown; body: unknown }> {
  for (let i = 0; i < 50; i++) {
    const res = await request(`${stack.url}/api/comments/echo`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.json();
    if (res.statusCode === 429) return { status: 429, retryAfter: res.headers['retry-after'], body };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { status: 0, retryAfter: undefined, body: undefined };
}

/** A client that stops reading pins a service for everyone. */
describe('passthrough cannot hold a service', () => {
  let stack: Stack;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await startStack({
      env: {
        PASSTHROUGH_TIMEOUT: '10000',
        ORCHESTRATION_TIMEOUT: '2000',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
        PASSTHROUGH_MAX_CONCURRENT_PER_PRINCIPAL: '16',
      },
      logLevel: 'info',
    });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await stack?.close();
  });

  it(
    '70 unread downloads leave data calls their connections; each caller is bounded; the stalled clients are cut off',
    { timeout: 180_000 },
    async () => {
      // 5 users x 14 downloads = 70, more than a pool of 64 connections (6 of them wait for one).
      const users = ['u3', 'u4', 'u5', 'u6', 'u7'];
      const tokens = await Promise.all(users.map((u) => stack.token(u)));
      const stalled = tokens.flatMap((t) => Array.from({ length: 14 }, () => openStalledDownload(stack, t)));
      sockets.push(...stalled.map((s) => s.socket));
      const downloads = () => stack.backendRequests('comment', '/api/comments/echo/download');
      await waitFor(() => downloads() >= 64, 60_000, 100);
      expect(await Promise.any(stalled.map((s) => s.status))).toBe(200);

      // One caller's share: two more for u3 (16 in flight), the 17th is refused without reaching the service.
      const more = [openStalledDownload(stack, tokens[0]!), openStalledDownload(stack, tokens[0]!)];
      sockets.push(...more.map((s) => s.socket));
      const refused = await waitForRefusal(stack, tokens[0]!);
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body).toMatchObject({ error: 'RATE_LIMITED' });

      // Another user's data query on the same service is served within its budget.
      const query = stack.graphql('{ user(id: "u1") { comments(limit: 2) { id } } }', {}, { token: await stack.token('u1') });
      const gql = await Promise.race([query, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 15_000))]);
      expect(gql).not.toBe('stuck');
      const answer = gql as Awaited<typeof query>;
      expect(answer.body.errors).toBeUndefined();
      expect((answer.body.data as { user: { comments: unknown[] } }).user.comments).toHaveLength(2);

      // After PASSTHROUGH_TIMEOUT of silence every stalled client is cut off, short of its body.
      await waitFor(() => stack.logs.find(/passthrough answer stalled/).length >= 72, 90_000, 100);
      const totals = await Promise.all([...stalled, ...more].map(drain));
      for (const total of totals) expect(total).toBeLessThan(DOWNLOAD_BYTES);

      // Their slots are free again: u3 downloads whole.
      const whole = await request(`${stack.url}/api/comments/echo/download?bytes=100000`, {
        headers: { authorization: `Bearer ${tokens[0]}` },
      });
      expect(whole.statusCode).toBe(200);
      const { createHash } = await import('node:crypto');
      expect(
        createHash('sha256')
          .update(Buffer.from(await whole.body.arrayBuffer()))
          .digest('hex'),
      ).toBe(downloadSha256(100000));
    },
  );
});

/** The call budget includes the wait for a connection (undici does not abort a queued request on its signal). */
describe('ServiceClient: the call budget covers waiting for a connection', () => {
  let backends: ReferenceBackends;
  let client: ServiceClient;

  beforeAll(async () => {
    backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await backends?.close();
  });

  it(
    'a call queued behind a held connection fails with UPSTREAM_TIMEOUT at its budget, not when the connection frees',
    { timeout: 60_000 },
    async () => {
      const breaker = new ServiceBreaker({ name: 'comment', failureThreshold: 100, resetTimeoutMs: 60_000 });
      client = new ServiceClient({
        name: 'comment',
        baseUrl: backends.urls.comment,
        timeoutMs: 300,
        retries: 0,
        breaker,
        versions: new ServiceVersions(),
        logger: pino({ level: 'silent' }),
        connections: 1,
      });
      // The pool's one connection is held by a request the service never answers.
      backends.comment.faults.set({ hang: true });
      // (undici's own headersTimeout on the pool, budget + 1 s, ends it: until then it holds the connection.)
      let holderSettled = false;
      const holder = client.pool
        .request({ method: 'GET', path: '/api/comments?userId=u1' })
        .catch((e: unknown) => e)
        .finally(() => (holderSettled = true));
      await waitFor(() => backends.comment.requests.count() >= 1, 10_000, 100);
      const started = Date.now();
      const result = await Promise.race([
        client.getJson('/api/comments?userId=u2', { requestId: 'queued' }).then(
          () => 'answered',
          (e: unknown) => e,
        ),
        new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 10_000)),
      ]);
      // Given up at its own budget, while the connection it waited for is still held.
      expect(holderSettled).toBe(false);
      expect(result).toBeInstanceOf(GatewayError);
      expect((result as GatewayError).code).toBe('UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(backends.comment.requests.count()).toBe(1);
      backends.comment.faults.set({ hang: false });
      await holder;
      breaker.dispose();
    },
  );
});
