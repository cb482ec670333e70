import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

/** Sends `target` exactly as written (node:http does not resolve dots, decode escapes or drop an absolute form). */
function rawRequest(
  stack: Stack,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: hostname,
      port,
      method,
      path: target,
      headers: {
        ...headers,
        ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const LOGIN = JSON.stringify({ email: 'ada@example.com', password: 'password' });

/** The data rule on passthrough. */
describe('passthrough follows the data rule', () => {
  let stack: Stack;
  let ada: string;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    ada = await stack.token('u1');
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.reset());

  const get = async (path: string, token = ada) => {
    const res = await rawRequest(stack, 'GET', path, { authorization: `Bearer ${token}` });
    return { status: res.status, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
  };

  it.each([
    '/api/users/u2',
    '/api/users/%75%32',
    '/api/users/u2/anything',
    '/api/users?ids=u2',
    '/api/users?ids=u1,u2',
    '/api/users?ids=u1%2Cu2',
    '/api/users?ids=u1&ids=u2',
    '/api/users?ids=u1,,%20u2',
    '/api/users?%69ds=u2',
    '/api/comments?userId=u2',
    '/api/comments?userIds=u2',
    '/api/comments?userIds=u1&userIds=u2&limit=3',
    '/api/nps/scores?userIds=u1,u2',
  ])("Ada's %s naming Grace is 403 FORBIDDEN and reaches no backend", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'FORBIDDEN' });
    expect(stack.backendRequests()).toBe(0);
  });

  it('the same read over GraphQL is refused too (one rule on every surface)', async () => {
    const gql = await stack.graphql('{ user(id: "u2") { id } }', {}, { token: ada });
    expect(gql.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it.each([
    '/api/users/u1',
    '/api/users?ids=u1,,u1',
    '/api/comments?userId=u1',
    '/api/comments?userIds=u1&limit=2',
    '/api/nps/scores?userIds=u1',
    '/api/industries',
    '/api/jobs/recent?industryId=i1',
    '/api/nps/summary',
  ])("Ada's own and shared reads pass: %s", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(stack.backendRequests()).toBe(1);
  });

  it("Ada's own write passes, and an admin reads anyone's data", async () => {
    const write = await rawRequest(stack, 'POST', '/api/comments', { authorization: `Bearer ${ada}` }, JSON.stringify({ body: 'mine' }));
    expect(write.status).toBe(201);
    expect(JSON.parse(write.body)).toMatchObject({ userId: 'u1' });
    expect((await get('/api/users?ids=u1,u2', admin)).status).toBe(200);
    expect((await get('/api/comments?userId=u1', admin)).status).toBe(200);
  });
});

/** One route per request, whatever the spelling of its path. */
describe('path spellings cannot get around the rules', () => {
  let stack: Stack;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_LOGIN_MAX: '2', RATE_LIMIT_RULES: 'POST /api/comments=1' } });
    admin = await stack.token('u2', 'admin');
    user = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.reset());

  it.each([
    ['POST', '/api/auth/./login'],
    ['POST', '/api/auth/%2e/login'],
    ['POST', '/api/auth/%2E%2E/auth/login'],
    ['POST', '/api/x/../auth/login'],
    ['POST', 'http://x/api/auth/login'],
    ['POST', '/api/auth%2flogin'],
    ['POST', '/api/auth%5Clogin'],
    ['DELETE', '/api/gateway/./cache'],
    ['DELETE', 'http://localhost/api/gateway/cache'],
  ])('%s %s is 400 BAD_REQUEST before any routing', async (method, target) => {
    const res = await rawRequest(stack, method, target, { authorization: `Bearer ${admin}` }, method === 'POST' ? LOGIN : undefined);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'BAD_REQUEST', message: expect.any(String) });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(stack.backendRequests()).toBe(0);
    expect(stack.logs.lines.filter((l) => l.audit === true)).toHaveLength(0);
  });

  it('the login limit counts every spelling of the login route', async () => {
    const base = stack.logs.lines.length;
    for (const target of ['/api/auth/login', '/api/auth/%6cogin']) {
      const res = await rawRequest(stack, 'POST', target, {}, LOGIN);
      expect(res.status).toBe(200);
    }
    const third = await rawRequest(stack, 'POST', '/api/%61uth/login', {}, LOGIN);
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ error: 'RATE_LIMITED' });
    expect(stack.backendRequests('auth', '/api/auth/login')).toBe(2);
    expect(stack.logs.lines.length).toBeGreaterThan(base);
  });

  it('an escaped admin path runs the action with its audit line; refused ones are audited too', async () => {
    const done = await rawRequest(stack, 'DELETE', '/api/gateway/%63ache?service=comment', { authorization: `Bearer ${admin}` });
    expect(done.status).toBe(200);
    const refused = await rawRequest(stack, 'DELETE', '/api/gateway/%63ache', { authorization: `Bearer ${user}` });
    expect(refused.status).toBe(403);
    const audits = stack.logs.lines.filter((l) => l.audit === true && l.action === 'clearCache');
    expect(audits.map((a) => [a.actor, a.outcome])).toEqual([
      ['u2', 'success'],
      ['u1', 'refused'],
    ]);
    // The client-chosen service is logged under a key of its own, never the gateway's `service`.
    expect(audits[0]).toMatchObject({ target: 'comment' });
    expect(audits[0]).not.toHaveProperty('service');
  });

  it('an unknown service an admin route was asked for is logged as requestedService, truncated', async () => {
    const res = await rawRequest(
      stack,
      'POST',
      '/api/gateway/circuit-breaker/reset',
      { authorization: `Bearer ${admin}` },
      JSON.stringify({ service: 'x'.repeat(500) }),
    );
    expect(res.status).toBe(400);
    const line = stack.logs.lines.find((l) => l.audit === true && l.action === 'resetBreaker')!;
    expect(line).toMatchObject({ outcome: 'failed', requestedService: 'x'.repeat(64) });
    expect(line).not.toHaveProperty('service');
    expect(line).not.toHaveProperty('target');
  });

  it('RATE_LIMIT_RULES path rules match the normalized path', async () => {
    const headers = { authorization: `Bearer ${user}` };
    const first = await rawRequest(stack, 'POST', '/api/comments', headers, JSON.stringify({ body: 'one' }));
    expect(first.status).toBe(201);
    const second = await rawRequest(stack, 'POST', '/api/%63omments', headers, JSON.stringify({ body: 'two' }));
    expect(second.status).toBe(429);
    expect(stack.backendRequests('comment')).toBe(1);
  });
});

/** A passthrough 5xx is that caller's answer, not the service's failure. */
describe('passthrough answers do not open the breaker', () => {
  let stack: Stack;
  let token: string;

  beforeAll(async () => {
    stack = await startStack({ env: { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '5', ORCHESTRATION_RETRY_ATTEMPTS: '0' } });
    token = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.reset());

  it('six passthrough 500s leave the breaker CLOSED, and data is still served', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await request(`${stack.url}/api/comments/echo?status=500`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(500);
      await res.body.dump();
    }
    expect(stack.app.services.upstreams.clients.comment.breaker.state).toBe('CLOSED');
    const gql = await stack.graphql('{ user(id: "u1") { comments(limit: 2) { id } } }', {}, { token });
    expect(gql.body.errors).toBeUndefined();
    expect((gql.body.data as { user: { comments: unknown[] } }).user.comments).toHaveLength(2);
  });

  it('network errors through passthrough still count', async () => {
    stack.backends.comment.faults.set({ reset: true });
    for (let i = 0; i < 5; i++) {
      const res = await request(`${stack.url}/api/comments/echo`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.statusCode).toBe(502);
      await res.body.dump();
    }
    expect(stack.app.services.upstreams.clients.comment.breaker.state).toBe('OPEN');
  });
});

/** Bad tokens from an address lock out only bad tokens. */
describe('the auth-failure limit refuses only failing credentials', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_AUTH_FAILURE_MAX: '3', GATEWAY_API_KEYS: 'ops:ops-key-0123456789abcdef' } });
  });
  afterAll(() => stack?.close());

  it('after the limit a garbage token gets 429, while a valid admin token, user token and API key from the same address are served', async () => {
    const stats = (headers: Record<string, string>) => request(`${stack.url}/api/gateway/stats`, { headers });
    for (let i = 0; i < 3; i++) {
      const res = await stats({ authorization: `Bearer garbage.${i}.token` });
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    }
    const blocked = await stats({ authorization: 'Bearer garbage.x.token' });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeTruthy();
    expect(await blocked.body.json()).toMatchObject({ error: 'RATE_LIMITED' });
    const badKey = await stats({ 'x-api-key': 'wrong' });
    expect(badKey.statusCode).toBe(429);
    await badKey.body.dump();

    const adminRes = await stats({ authorization: `Bearer ${await stack.token('u2', 'admin')}` });
    expect(adminRes.statusCode).toBe(200);
    await adminRes.body.dump();
    const keyRes = await stats({ 'x-api-key': 'ops-key-0123456789abcdef' });
    expect(keyRes.statusCode).toBe(200);
    await keyRes.body.dump();
    const userGql = await stack.graphql('{ user(id: "u1") { id } }', {}, { token: await stack.token('u1') });
    expect(userGql.status).toBe(200);
    expect(userGql.body.data).toEqual({ user: { id: 'u1' } });
  });
});

/** Forwarding headers and caching of authenticated answers. */
describe('forwarding headers and Cache-Control', () => {
  const spoofed = {
    'x-forwarded-for': '6.6.6.6',
    forwarded: 'for=6.6.6.6;proto=https',
    'x-real-ip': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '1',
  };

  describe('without TRUST_PROXY', () => {
    let stack: Stack;
    let token: string;
    beforeAll(async () => {
      stack = await startStack();
      token = await stack.token('u1');
    });
    afterAll(() => stack?.close());

    it("a client's forwarding headers never reach a backend; the gateway's own view does", async () => {
      const res = await rawRequest(stack, 'GET', '/api/comments/echo', {
        authorization: `Bearer ${token}`,
        ...spoofed,
        host: 'evil.example',
      });
      expect(res.status).toBe(200);
      const logged = stack.backends.comment.requests.all().at(-1)!;
      expect(logged.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(logged.headers['x-real-ip']).toBe('127.0.0.1');
      expect(logged.headers['x-forwarded-proto']).toBe('http');
      expect(logged.headers['x-forwarded-port']).toBeUndefined();
      expect(logged.headers.forwarded).toBeUndefined();
      expect(logged.headers.host).toBe(new URL(stack.backends.urls.comment).host);
    });

    it('authenticated answers say Cache-Control: private, no-store (GraphQL, REST dashboard, passthrough); anonymous health does not', async () => {
      const auth = { authorization: `Bearer ${token}` };
      const gql = await stack.graphql('{ user(id: "u1") { id } }', {}, { token });
      expect(gql.headers.get('cache-control')).toBe('private, no-store');
      for (const path of ['/api/orchestration/user/u1/dashboard', '/api/industries', '/api/comments/echo?status=500', '/api/users/u2']) {
        const res = await request(`${stack.url}${path}`, { headers: auth });
        await res.body.dump();
        expect(res.headers['cache-control'], path).toBe('private, no-store');
      }
      const health = await request(`${stack.url}/health`);
      await health.body.dump();
      expect(health.headers['cache-control']).toBeUndefined();
    });
  });

  describe('with TRUST_PROXY trusting the peer', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ env: { TRUST_PROXY: '127.0.0.1' } });
    });
    afterAll(() => stack?.close());

    it('the trusted chain is kept', async () => {
      const res = await rawRequest(stack, 'GET', '/api/comments/echo', { authorization: `Bearer ${await stack.token('u1')}`, ...spoofed });
      expect(res.status).toBe(200);
      const logged = stack.backends.comment.requests.all().at(-1)!;
      expect(logged.headers['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1');
      expect(logged.headers['x-real-ip']).toBe('6.6.6.6');
      expect(logged.headers['x-forwarded-proto']).toBe('https');
      expect(logged.headers['x-forwarded-host']).toBe('evil.example');
      expect(logged.headers.forwarded).toBeUndefined();
    });
  });
});
