import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { startStack, type Stack } from '../support/stack.js';

/** Sends raw bytes and resolves with everything the server wrote before closing (or `waitMs`). */
function raw(url: string, data: string, waitMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let out = '';
    const socket = connect(Number(port), hostname, () => socket.write(data));
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => (out += d.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', () => undefined);
  });
}

/** HTTP hardening: body and header limits, slow clients, CORS, security headers, redaction. */
describe('security: HTTP hardening', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await startStack({
      env: { CORS_ORIGINS: 'https://app.example.com', HTTP_HEADERS_TIMEOUT: '1000', HTTP_REQUEST_TIMEOUT: '1000' },
    });
    token = await stack.token('u1');
  });
  afterAll(() => stack?.close());

  it('a GraphQL body over 1 MB is refused with 413 PAYLOAD_TOO_LARGE, before any backend is called', async () => {
    stack.backends.resetAll();
    const padding = 'x'.repeat(1024 * 1024 + 10);
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ user(id: "u1") { id } }', variables: { padding } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(stack.backendRequests()).toBe(0);
  });

  it('GRAPHQL_BODY_LIMIT is configurable', async () => {
    const small = await startStack({ env: { GRAPHQL_BODY_LIMIT: '2048' } });
    try {
      const res = await small.graphql('{ user(id: "u1") { id } }', { pad: 'x'.repeat(4096) }, { token: await small.token('u1') });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('headers (or a URL) over the size limit are refused with 431 and a coded body', async () => {
    const res = await raw(stack.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 431/);
    expect(res).toContain('"error":"HEADERS_TOO_LARGE"');
    const longUrl = await raw(stack.url, `GET /api/industries?q=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(longUrl).toMatch(/^HTTP\/1\.1 431/);
  });

  it('a client that never finishes its headers is cut off with 408', async () => {
    const res = await raw(stack.url, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', 10_000);
    expect(res).toMatch(/^HTTP\/1\.1 408/);
    expect(res).toContain('"error":"REQUEST_TIMEOUT"');
    // The server is still fine.
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });

  it('malformed HTTP gets a coded 400', async () => {
    const res = await raw(stack.url, 'BLAH\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 400/);
    expect(res).toContain('"error":"BAD_REQUEST"');
  });

  it('CORS: an allowed origin gets the CORS headers (preflight included), another origin none', async () => {
    const preflight = await fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);

    const allowed = await fetch(`${stack.url}/health`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const denied = await fetch(`${stack.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    // Refusals carry CORS headers too, so a browser client can read why.
    const refused = await fetch(`${stack.url}/api/gateway/stats`, {
      headers: { origin: 'https://app.example.com', authorization: 'Bearer bad.token.here' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('CORS on /graphql follows CORS_ORIGINS too (Yoga adds no CORS headers of its own)', async () => {
    const post = (origin: string) =>
      fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
    const allowed = await post('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const denied = await post('https://evil.example.com');
    expect(denied.status).toBe(200);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await fetch(`${stack.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('without CORS_ORIGINS no origin is allowed', async () => {
    const plain = await startStack();
    try {
      const res = await fetch(`${plain.url}/health`, { headers: { origin: 'https://app.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const graphql = await fetch(`${plain.url}/graphql`, {
        method: 'POST',
        headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      expect(graphql.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('every answer carries the security headers', async () => {
    for (const path of ['/health', '/api/industries', '/nope']) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
    }
  });

  it('logs redact authorization, cookies, API keys and signatures', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info', colors: false },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }) as never,
    );
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer secret-token',
            cookie: 'sid=secret-cookie',
            'x-api-key': 'secret-key',
            'x-gateway-signature': 'v1=secret-sig',
          },
        },
      },
      'request',
    );
    logger.info({ headers: { authorization: 'Bearer secret-token-2', 'x-api-key': 'secret-key-2' } }, 'upstream');
    const text = lines.join('');
    expect(text).not.toMatch(/secret/);
    expect(text).toContain('[redacted]');
  });
});
