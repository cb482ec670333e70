import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

async function expect429(res: Response): Promise<Record<string, unknown>> {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.headers.get('ratelimit-limit')).toMatch(/^\d+$/);
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  return (await res.json()) as Record<string, unknown>;
}

/** Rate limits per principal, stricter for mutations/admin, per IP on login. */
describe('security: rate limits', () => {
  let stack: Stack;
  let u1: string;
  let u2: string;

  beforeAll(async () => {
    stack = await startStack({ env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' } });
    u1 = await stack.token('u1');
    u2 = await stack.token('u2');
  });
  afterAll(() => stack?.close());

  const get = (path: string, token?: string) =>
    fetch(`${stack.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('one user over the limit gets 429 with Retry-After and RateLimit-* while another is served', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await get('/api/orchestration/user/u1/dashboard', u1);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(4 - i));
    }
    const before = stack.backendRequests();
    const body = await expect429(await get('/api/orchestration/user/u1/dashboard', u1));
    expect(body).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringMatching(/5 requests per minute/) });
    expect(stack.backendRequests()).toBe(before);

    // Over GraphQL, the same principal is refused with the GraphQL error shape.
    const gql = await stack.graphql('{ user(id: "u1") { id } }', {}, { token: u1 });
    expect(gql.status).toBe(429);
    expect(gql.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(gql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    // u2 has a budget of their own.
    expect((await get('/api/orchestration/user/u2/dashboard', u2)).status).toBe(200);
  });

  it('health routes never count', async () => {
    for (let i = 0; i < 12; i++) expect((await get('/health')).status).toBe(200);
    expect((await get('/health/ready')).status).toBe(200);
  });

  it('anonymous clients are counted per IP', async () => {
    const ip = await startStack({ env: { RATE_LIMIT_MAX: '3' } });
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${ip.url}/api/industries`)).status).toBe(401);
      await expect429(await fetch(`${ip.url}/api/industries`));
    } finally {
      await ip.close();
    }
  });
});

describe('security: mutation, admin, login and per-route limits', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        RATE_LIMIT_MAX: '1000',
        RATE_LIMIT_MUTATION_MAX: '2',
        RATE_LIMIT_LOGIN_MAX: '3',
        RATE_LIMIT_AUTH_FAILURE_MAX: '4',
        RATE_LIMIT_RULES: 'GET /api/industries=2, Query.industries=3/60000',
      },
    });
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());

  it('GraphQL mutations have a stricter limit: RATE_LIMITED with Retry-After, and the refusal is audited', async () => {
    for (let i = 0; i < 2; i++) {
      const { body } = await stack.graphql('mutation { clearCache }', {}, { token: admin });
      expect(body.errors ?? []).toEqual([]);
    }
    const refused = await stack.graphql('mutation { clearCache }', {}, { token: admin });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.body.errors?.[0]?.message).toMatch(/2 mutations per minute/);
    const audits = stack.logs.lines.filter((l) => l.audit === true && l.action === 'clearCache');
    expect(audits.map((a) => a.outcome)).toEqual(['success', 'success', 'refused']);
    // Queries still run: only mutations spent that budget.
    expect((await stack.graphql('{ user(id: "u1") { id } }', {}, { token: admin })).body.errors ?? []).toEqual([]);
  });

  it('admin REST routes share the stricter budget', async () => {
    const other = await stack.token('admin-2', 'admin');
    const del = () => fetch(`${stack.url}/api/gateway/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${other}` } });
    expect((await del()).status).toBe(200);
    expect((await del()).status).toBe(200);
    expect(await expect429(await del())).toMatchObject({ error: 'RATE_LIMITED' });
  });

  it('POST /api/auth/login is limited per IP against password guessing', async () => {
    stack.backends.resetAll();
    const login = () =>
      fetch(`${stack.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com', password: 'guess' }),
      });
    for (let i = 0; i < 3; i++) expect((await login()).status).toBe(401);
    const body = await expect429(await login());
    expect(body.message).toMatch(/login attempts/);
    expect(stack.backendRequests('auth', '/api/auth/login')).toBe(3);
  });

  it('RATE_LIMIT_RULES add per-route and per-field limits', async () => {
    const user = await stack.token('u5');
    const get = () => fetch(`${stack.url}/api/industries`, { headers: { authorization: `Bearer ${user}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    expect(await expect429(await get())).toMatchObject({ message: expect.stringMatching(/for this route/) });

    const other = await stack.token('u6');
    for (let i = 0; i < 3; i++) expect((await stack.graphql('{ industries { id } }', {}, { token: other })).body.errors ?? []).toEqual([]);
    const refused = await stack.graphql('{ industries { id } }', {}, { token: other });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.body.errors?.[0]?.message).toMatch(/Query\.industries/);
  });

  it('repeated bad credentials from one address are refused with 429 before they are even verified', async () => {
    const bad = () => fetch(`${stack.url}/api/gateway/stats`, { headers: { authorization: 'Bearer a.b.c' } });
    for (let i = 0; i < 4; i++) expect((await bad()).status).toBe(401);
    expect(await expect429(await bad())).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringMatching(/invalid credentials/) });
  });
});
