import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/graphql/yoga.js';
import { startStack, type Stack } from '../support/stack.js';

const SPOOFED = {
  'x-user-id': 'admin-spoof',
  'x-user-role': 'admin',
  'x-gateway-signature': 'v1=deadbeef',
  'x-gateway-timestamp': '1',
  'x-gateway-content-sha256': 'UNSIGNED-PAYLOAD',
  'x-gateway-anything': 'spoof',
};

/**
 * Upstream hygiene: identity headers reach a backend only from a verified principal,
 * never from the client; every outbound call (GraphQL, passthrough, health probes) is signed
 * and the reference backends verify the signature.
 */
describe('security: clean, signed upstream traffic', () => {
  let stack: Stack;
  let user: string;

  beforeAll(async () => {
    stack = await startStack();
    user = await stack.token('u1');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  const allRequests = () => stack.backends.all.flatMap((s) => s.requests.all());

  function expectNoSpoof(expectedUser: string | undefined, expectedRole?: string): void {
    const requests = allRequests();
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.headers['x-user-id'], r.url).toBe(expectedUser);
      expect(r.headers['x-user-role'], r.url).toBe(expectedRole);
      expect(r.headers['x-gateway-anything'], r.url).toBeUndefined();
      expect(r.headers['x-gateway-signature'], r.url).not.toBe('v1=deadbeef');
      expect(r.signatureValid, r.url).toBe(true);
    }
  }

  it('a spoofed x-user-id / x-user-role / x-gateway-* on a GraphQL request never reaches a backend', async () => {
    const { body } = await stack.graphql(EXAMPLE_QUERY, { userId: 'u1' }, { token: user, headers: SPOOFED });
    expect(body.errors ?? []).toEqual([]);
    expectNoSpoof('u1', 'user');
  });

  it('nor on a passthrough request (GET and POST)', async () => {
    const get = await fetch(`${stack.url}/api/comments/echo`, { headers: { authorization: `Bearer ${user}`, ...SPOOFED } });
    expect(get.status).toBe(200);
    const post = await fetch(`${stack.url}/api/nps/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json', ...SPOOFED },
      body: JSON.stringify({ score: 9 }),
    });
    expect(post.status).toBe(201);
    expect(((await post.json()) as { userId: string }).userId).toBe('u1');
    expectNoSpoof('u1', 'user');
  });

  it('an anonymous request with spoofed identity headers carries no identity upstream', async () => {
    const res = await fetch(`${stack.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...SPOOFED },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong' }),
    });
    expect(res.status).toBe(401);
    expectNoSpoof(undefined, undefined);
  });

  it('an anonymous GraphQL request with a spoofed x-user-id is still anonymous', async () => {
    const { body } = await stack.graphql('{ user(id: "u1") { id } }', {}, { headers: SPOOFED });
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.backendRequests()).toBe(0);
  });

  it('every route signs its calls and every reference backend verifies the signature', async () => {
    const auth = { authorization: `Bearer ${await stack.token('u2', 'admin')}` };
    await stack.graphql(EXAMPLE_QUERY, { userId: 'u1' }, { token: auth.authorization.slice(7) });
    await stack.graphql(
      '{ users(ids: ["u1", "u2"]) { id comments { body } nps { score } recentJobs { title } } industries { id } }',
      {},
      { token: auth.authorization.slice(7) },
    );
    const paths = [
      '/api/users/u1',
      '/api/users?ids=u1,u2',
      '/api/comments?userId=u1&limit=2',
      '/api/industries',
      '/api/industries/i1',
      '/api/jobs/recent?industryId=i1',
      '/api/nps/summary',
      '/api/nps/scores?userIds=u1',
      '/api/auth/echo/x?y=1',
    ];
    for (const path of paths) expect((await fetch(`${stack.url}${path}`, { headers: auth })).status, path).toBe(200);
    const posted = await fetch(`${stack.url}/api/comments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'signed' }),
    });
    expect(posted.status).toBe(201);
    const dash = await fetch(`${stack.url}/api/orchestration/user/u1/dashboard`, { headers: auth });
    expect(dash.status).toBe(200);
    // Health probes are signed too.
    expect((await fetch(`${stack.url}/health/services`)).status).toBe(200);

    const requests = allRequests();
    for (const name of ['auth', 'comment', 'industry', 'nps'] as const) {
      expect(stack.backends[name].requests.count(), name).toBeGreaterThan(0);
      expect(
        stack.backends[name].requests.count((r) => r.path === '/health'),
        `${name} /health`,
      ).toBeGreaterThan(0);
    }
    const unsigned = requests.filter((r) => r.signatureValid !== true).map((r) => `${r.method} ${r.url}`);
    expect(unsigned).toEqual([]);
  });
});

/** API keys (`GATEWAY_API_KEYS`), compared in constant time, give a `service` principal. */
describe('auth: API keys', () => {
  let stack: Stack;
  const KEY = 'reporting-key-0123456789abcdef';

  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_API_KEYS: `reporting:${KEY},ops:ops-key-0123456789abcdef`, MONITORING_PUBLIC: 'false' } });
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.backends.resetAll());

  it('a matching x-api-key authenticates as service:<name>, and backends receive that identity', async () => {
    const { body } = await stack.graphql('{ user(id: "u3") { id } }', {}, { headers: { 'x-api-key': KEY, 'x-user-id': 'u9' } });
    expect(body.errors ?? []).toEqual([]);
    expect(body.data).toEqual({ user: { id: 'u3' } });
    const seen = stack.backends.auth.requests.all();
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.headers['x-user-id']).toBe('service:reporting');
      expect(r.headers['x-user-role']).toBe('service');
    }
  });

  it('a service principal reads the monitoring routes but runs no admin action', async () => {
    expect((await fetch(`${stack.url}/api/gateway/stats`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    const reset = await fetch(`${stack.url}/api/gateway/circuit-breaker/reset`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'comment' }),
    });
    expect(reset.status).toBe(403);
    const { body } = await stack.graphql('mutation { clearCache }', {}, { headers: { 'x-api-key': KEY } });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it.each([
    ['a wrong key', 'reporting-key-0123456789abcdeX'],
    ['a prefix of a key', KEY.slice(0, 20)],
    ['a key with a suffix', `${KEY}0`],
    ['the name instead of the key', 'reporting'],
    ['an empty key', ''],
  ])('%s is refused with 401', async (_name, key) => {
    const res = await fetch(`${stack.url}/api/gateway/stats`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'UNAUTHENTICATED', message: expect.stringMatching(/API key/) });
    expect(stack.backendRequests()).toBe(0);
  });

  it('the API key itself is never forwarded to a backend', async () => {
    const res = await fetch(`${stack.url}/api/comments/echo`, { headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(200);
    for (const r of stack.backends.comment.requests.all()) expect(r.headers['x-api-key']).toBeUndefined();
  });
});
