import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/** REST twin: `GET /api/orchestration/user/:userId/dashboard`, same data and rules as `userDashboard`. */
describe('core: REST dashboard twin', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { ORCHESTRATION_RETRY_ATTEMPTS: '0' } });
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  async function get(userId: string, token?: string) {
    const res = await fetch(`${stack.url}/api/orchestration/user/${encodeURIComponent(userId)}/dashboard`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown>, text };
  }

  it('200: the same dashboard as GraphQL, as JSON with degraded and errors', async () => {
    const token = await stack.token('u1');
    const rest = await get('u1', token);
    expect(rest.status).toBe(200);
    expect(rest.headers.get('content-type')).toMatch(/application\/json/);
    const u1 = seed.getUser('u1')!;
    expect(rest.body).toMatchObject({
      user: { id: 'u1', name: u1.name, email: u1.email, role: u1.role },
      industry: { id: u1.industryId, name: seed.getIndustry(u1.industryId!)!.name },
      degraded: [],
      errors: [],
    });
    expect((rest.body.recentJobs as Array<{ id: string }>).map((j) => j.id)).toEqual(seed.recentJobs(u1.industryId!, 5).map((j) => j.id));
    expect((rest.body.comments as Array<{ id: string }>).map((c) => c.id)).toEqual(seed.latestComments('u1', 10).map((c) => c.id));
    expect(rest.body.nps).toMatchObject({ score: 9 });

    const gql = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    const d = gql.body.data!.userDashboard!;
    expect((rest.body.comments as Array<{ body: string }>).map((c) => c.body)).toEqual(d.comments!.map((c) => c.body));
    expect((rest.body.recentJobs as Array<{ title: string }>).map((c) => c.title)).toEqual(d.recentJobs!.map((j) => j.title));
  });

  it('a failed part: 200 with the part null, the service in degraded and a coded entry in errors', async () => {
    stack.backends.nps.faults.set({ failStatus: 500 });
    const rest = await get('u1', await stack.token('u1'));
    expect(rest.status).toBe(200);
    expect(rest.body.nps).toBeNull();
    expect(rest.body.degraded).toEqual(['nps']);
    expect(rest.body.errors).toEqual([{ service: 'nps', code: 'SERVICE_UNAVAILABLE', message: expect.any(String) }]);
    expect(rest.text).not.toMatch(/\.ts:\d|at [A-Za-z]+ \(/);
  });

  it('404 {"error":"NOT_FOUND"} for an unknown user', async () => {
    const rest = await get('u99999', await stack.token('u2', 'admin'));
    expect(rest.status).toBe(404);
    expect(rest.body).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('503 {"error":"SERVICE_UNAVAILABLE","service":"auth"} when the user itself cannot be loaded', async () => {
    stack.backends.auth.faults.set({ failStatus: 500 });
    const rest = await get('u1', await stack.token('u1'));
    expect(rest.status).toBe(503);
    expect(rest.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE', service: 'auth' });
    expect(typeof rest.body.message).toBe('string');
  });

  it('503 for auth down (connection reset) too, never a stack', async () => {
    stack.backends.auth.faults.set({ reset: true });
    const rest = await get('u1', await stack.token('u1'));
    expect(rest.status).toBe(503);
    expect(rest.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE', service: 'auth' });
    expect(rest.text).not.toMatch(/\.ts:\d|at [A-Za-z]+ \(/);
  });

  it.each([
    ['a user id over the path parameter limit', 'x'.repeat(3000)],
    ['a path that does not decode', '%E0%A4%A'],
  ])('400 {"error":"BAD_REQUEST"} for %s, never Fastify\'s own error body', async (_name, id) => {
    const res = await fetch(`${stack.url}/api/orchestration/user/${id}/dashboard`, {
      headers: { authorization: `Bearer ${await stack.token('u2', 'admin')}` },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'BAD_REQUEST', message: expect.any(String) });
    expect(stack.backendRequests()).toBe(0);
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await fetch(`${stack.url}/api/orchestration/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: expect.any(String) });
  });

  it('401 without credentials, 403 for another user, 200 for an admin', async () => {
    const anon = await get('u1');
    expect(anon.status).toBe(401);
    expect(anon.body).toMatchObject({ error: 'UNAUTHENTICATED', message: expect.any(String) });
    const other = await get('u3', await stack.token('u1'));
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ error: 'FORBIDDEN' });
    expect(stack.backendRequests()).toBe(0);
    const admin = await get('u3', await stack.token('u2', 'admin'));
    expect(admin.status).toBe(200);
    expect((admin.body.user as { id: string }).id).toBe('u3');
  });
});
