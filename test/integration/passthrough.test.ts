import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadSha256 } from '../../reference-backends/index.js';
import { startStack, type Stack } from '../support/stack.js';

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  bodyBytes: number;
  bodySha256: string | null;
}

const MB = 1024 * 1024;

/** A deterministic body of `bytes` bytes, produced chunk by chunk (never held whole). */
function patternStream(bytes: number): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(64 * 1024, 7);
  let sent = 0;
  let resolve!: (v: string) => void;
  const sha256 = new Promise<string>((r) => (resolve = r));
  const stream = new Readable({
    read() {
      if (sent >= bytes) {
        resolve(hash.digest('hex'));
        this.push(null);
        return;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
      sent += part.length;
      hash.update(part);
      this.push(part);
    },
  });
  return { stream, sha256 };
}

/** REST passthrough for legacy clients. */
describe('passthrough', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await startStack({ env: { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '3', PASSTHROUGH_TIMEOUT: '1000' } });
    token = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.backends.resetAll();
    for (const c of Object.values(stack.app.services.upstreams.clients)) c.breaker.reset();
  });

  const auth = () => ({ authorization: `Bearer ${token}` });

  it.each(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const)('%s keeps method, path, query, status, body and headers', async (method) => {
    const hasBody = method !== 'GET' && method !== 'DELETE';
    const payload = JSON.stringify({ hello: 'world', method });
    const res = await request(`${stack.url}/api/comments/echo/deep/path?status=202&a=1&b=x%20y`, {
      method,
      headers: {
        ...auth(),
        'x-custom-header': 'kept',
        'x-user-id': 'forged',
        'x-user-role': 'admin',
        'x-gateway-signature': 'v1=forged',
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
      },
      body: hasBody ? payload : undefined,
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-echo']).toBe('1');
    expect(res.headers['x-request-id']).toBeTruthy();
    const echo = (await res.body.json()) as Echo;
    expect(echo.method).toBe(method);
    expect(echo.path).toBe('/api/comments/echo/deep/path');
    expect(echo.query).toEqual({ status: '202', a: '1', b: 'x y' });
    expect(echo.headers['x-custom-header']).toBe('kept');
    // Identity comes from the verified token, never from the client's own headers.
    expect(echo.headers['x-user-id']).toBe('u1');
    expect(echo.headers['x-user-role']).toBe('user');
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe(new URL(stack.url).host);
    if (hasBody) {
      expect(echo.bodyBytes).toBe(Buffer.byteLength(payload));
      expect(echo.bodySha256).toBe(createHash('sha256').update(payload).digest('hex'));
      expect(echo.headers['x-gateway-content-sha256']).toBe(echo.bodySha256);
    }
    // The reference backends verify the v1 signature (the stack signs by default).
    const logged = stack.backends.comment.requests.all().at(-1)!;
    expect(logged.signatureValid).toBe(true);
  });

  it('drops hop-by-hop headers both ways (and those the Connection header names)', async () => {
    const echo = await new Promise<Echo>((resolve, reject) => {
      const req = httpRequest(`${stack.url}/api/comments/echo`, {
        headers: {
          ...auth(),
          connection: 'keep-alive, x-hop-custom',
          'keep-alive': 'timeout=5',
          'x-hop-custom': '1',
          te: 'trailers',
          'proxy-authorization': 'Basic eA==',
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(JSON.parse(text) as Echo));
      });
      req.on('error', reject);
      req.end();
    });
    for (const name of ['keep-alive', 'x-hop-custom', 'te', 'proxy-authorization']) expect(echo.headers[name], name).toBeUndefined();
    expect(echo.headers.connection ?? 'keep-alive').toBe('keep-alive');
  });

  it('passes a backend 404 and 500 through unchanged', async () => {
    const missing = await request(`${stack.url}/api/industries/i-does-not-exist`, { headers: auth() });
    expect(missing.statusCode).toBe(404);
    expect(await missing.body.json()).toMatchObject({ error: expect.any(String) });

    const failing = await request(`${stack.url}/api/nps/echo?status=500`, { headers: auth() });
    expect(failing.statusCode).toBe(500);
    expect(await failing.body.json()).toMatchObject({ method: 'GET', path: '/api/nps/echo' });
  });

  it('serves the contract routes: login anonymously, the rest only with credentials', async () => {
    const login = await request(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', password: 'password' }),
    });
    expect([200, 401]).toContain(login.statusCode);
    await login.body.dump();

    const anonymous = await request(`${stack.url}/api/industries`);
    expect(anonymous.statusCode).toBe(401);
    expect(await anonymous.body.json()).toMatchObject({ error: 'UNAUTHENTICATED' });
    expect(stack.backendRequests('industry')).toBe(0);

    const industries = await request(`${stack.url}/api/industries`, { headers: auth() });
    expect(industries.statusCode).toBe(200);
    expect(((await industries.body.json()) as { industries: unknown[] }).industries.length).toBeGreaterThan(0);
  });

  async function upload(path: string, size: number) {
    const { stream, sha256 } = patternStream(size);
    const res = await request(`${stack.url}${path}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: stream,
    });
    return { status: res.statusCode, echo: (await res.body.json()) as Echo, sha256: await sha256 };
  }

  it('streams a 50 MB upload and a 50 MB download without holding them in memory', async () => {
    const size = 50 * MB;
    // Warm up first: the first megabytes through a fresh process grow the heap whatever the code does.
    await upload('/api/jobs/echo', 20 * MB);
    const warm = await request(`${stack.url}/api/jobs/echo/download?bytes=${20 * MB}`, { headers: auth() });
    await warm.body.dump();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const { status, echo, sha256 } = await upload('/api/jobs/echo', size);
      expect(status).toBe(200);
      expect(echo.bodyBytes).toBe(size);
      expect(echo.bodySha256).toBe(sha256);
      // Over 1 MiB: streamed unsigned, as backends.md allows; the signature still verifies.
      expect(echo.headers['x-gateway-content-sha256']).toBe('UNSIGNED-PAYLOAD');

      const down = await request(`${stack.url}/api/jobs/echo/download?bytes=${size}`, { headers: auth() });
      expect(down.statusCode).toBe(200);
      expect(down.headers['content-length']).toBe(String(size));
      const hash = createHash('sha256');
      let received = 0;
      for await (const chunk of down.body) {
        received += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
      }
      expect(received).toBe(size);
      expect(hash.digest('hex')).toBe(downloadSha256(size));
    } finally {
      clearInterval(sampler);
    }
    // One process holds gateway, backends and client: a buffered copy anywhere would add ≥ 50 MB
    // (measured streaming: about 0–15 MB of garbage between collections).
    expect(peak - before).toBeLessThan(40 * MB);
  });

  it('streams a chunked upload of unknown length unsigned', async () => {
    const { stream, sha256 } = patternStream(3 * MB);
    const res = await request(`${stack.url}/api/nps/echo`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/octet-stream' },
      body: stream,
    });
    expect(res.statusCode).toBe(200);
    const echo = (await res.body.json()) as Echo;
    expect(echo.bodyBytes).toBe(3 * MB);
    expect(echo.bodySha256).toBe(await sha256);
    expect(echo.headers['x-gateway-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(stack.backends.nps.requests.all().at(-1)!.signatureValid).toBe(true);
  });

  it('answers 503 with Retry-After at once while the breaker is open, without reaching the backend', async () => {
    // Network errors still count against the service (a relayed 5xx does not: see the breaker test below).
    stack.backends.comment.faults.set({ reset: true });
    for (let i = 0; i < 3; i++) {
      const r = await request(`${stack.url}/api/comments/echo`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.statusCode).toBe(502);
      await r.body.dump();
    }
    stack.backends.comment.faults.reset();
    expect(stack.app.services.upstreams.clients.comment.breaker.state).toBe('OPEN');
    const reached = stack.backendRequests('comment');
    const res = await request(`${stack.url}/api/comments?userId=u1`, { headers: auth() });
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await res.body.json()).toMatchObject({ error: 'SERVICE_UNAVAILABLE', service: 'comment' });
    expect(stack.backendRequests('comment')).toBe(reached);
  });

  it('answers 502 with a JSON error when the service is unreachable, and stays up', async () => {
    stack.backends.industry.faults.set({ reset: true });
    const res = await request(`${stack.url}/api/industries`, { headers: auth() });
    expect(res.statusCode).toBe(502);
    expect(await res.body.json()).toMatchObject({ error: 'UPSTREAM_ERROR', service: 'industry' });
    stack.backends.industry.faults.reset();
    const again = await request(`${stack.url}/api/industries`, { headers: auth() });
    expect(again.statusCode).toBe(200);
    await again.body.dump();
  });

  it('answers 504 with a JSON error when the service hangs', async () => {
    stack.backends.nps.faults.set({ hang: true });
    const res = await request(`${stack.url}/api/nps/summary`, { headers: auth() });
    expect(res.statusCode).toBe(504);
    expect(await res.body.json()).toMatchObject({ error: 'UPSTREAM_TIMEOUT', service: 'nps' });
    expect(stack.app.services.upstreams.clients.nps.breaker.stats.timeouts).toBeGreaterThanOrEqual(1);
  });

  it('retries an idempotent GET after a dropped connection, never a POST', async () => {
    stack.backends.auth.faults.set({ reset: true });
    const get = await request(`${stack.url}/api/auth/echo`, { headers: auth() });
    await get.body.dump();
    const gets = stack.backendRequests('auth');
    expect(gets).toBe(3); // 1 try + ORCHESTRATION_RETRY_ATTEMPTS (2)
    stack.backends.auth.requests.clear();
    const post = await request(`${stack.url}/api/auth/echo`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: '{}',
    });
    await post.body.dump();
    expect(post.statusCode).toBe(502);
    expect(stack.backendRequests('auth')).toBe(1);
  });

  it.each(['/api/comments/%2e%2e/%2e%2e/health', '/api/comments/../users/u1', '/api/comments/..%2f..%2fhealth'])(
    'refuses %s, which climbs out of its prefix',
    async (path) => {
      // node:http sends the target as written (fetch and undici would resolve the dots first).
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: new URL(stack.url).hostname, port: new URL(stack.url).port, path, headers: auth() });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({ error: 'BAD_REQUEST' });
      expect(stack.backendRequests('comment')).toBe(0);
    },
  );
});

describe('passthrough limits: body size and per-route timeouts', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        PASSTHROUGH_BODY_LIMIT: '4096',
        PASSTHROUGH_TIMEOUT: '300',
        PASSTHROUGH_ROUTE_TIMEOUTS: '/api/jobs=5000',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
      },
    });
    token = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.backends.resetAll());

  it('a declared body over PASSTHROUGH_BODY_LIMIT gets 413 before anything is sent upstream', async () => {
    const res = await request(`${stack.url}/api/nps/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(8192, 1),
    });
    expect(res.statusCode).toBe(413);
    expect(await res.body.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    expect(stack.backendRequests('nps')).toBe(0);
  });

  it('a chunked body that grows past the limit is cut off with 413, not counted against the service', async () => {
    // The client sends past the limit, then stops and waits: with nothing left unsent, the 413
    // always reaches it (a client still writing may instead see the socket closed under it).
    const url = new URL(`${stack.url}/api/nps/echo`);
    const outcome = await new Promise<{ status: number; body: { error: string } }>((resolve, reject) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error: string } });
        });
      });
      req.write(Buffer.alloc(16 * 1024, 7));
    });
    expect(outcome).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(stack.app.services.upstreams.clients.nps.breaker.stats.failures).toBe(0);
  });

  it('PASSTHROUGH_ROUTE_TIMEOUTS gives one prefix more time than the default', async () => {
    // undici checks header timeouts on a ~1 s clock: the latency is well past the default, well within the override.
    stack.backends.industry.faults.set({ latencyMs: 2500 });
    const slowButAllowed = await request(`${stack.url}/api/jobs/echo`, { headers: { authorization: `Bearer ${token}` } });
    expect(slowButAllowed.statusCode).toBe(200);
    await slowButAllowed.body.dump();
    const tooSlow = await request(`${stack.url}/api/industries`, { headers: { authorization: `Bearer ${token}` } });
    expect(tooSlow.statusCode).toBe(504);
    expect(await tooSlow.body.json()).toMatchObject({ error: 'UPSTREAM_TIMEOUT', service: 'industry' });
  });
});
