import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument, UsersDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/** DataLoader per request, at most 100 keys a batch, results mapped back by id; identical reads coalesced. */
describe('core: batching and coalescing', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  /** Requests per service and path, as the backends counted them. */
  function perRoute(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, service] of Object.entries(stack.backends).filter(([k]) => ['auth', 'comment', 'industry', 'nps'].includes(k))) {
      for (const r of (service as typeof stack.backends.auth).requests.all())
        out[`${name} ${r.path}`] = (out[`${name} ${r.path}`] ?? 0) + 1;
    }
    return out;
  }

  it('users(ids:) over 50 ids makes at most one request per service route', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `u${i + 1}`).reverse();
    const { body } = await stack.graphql(UsersDocument, { ids }, { token: admin });
    expect(body.errors).toBeUndefined();
    const users = body.data!.users;
    expect(users.map((u) => u?.id)).toEqual(ids);
    // Mapped back by id: every entry carries its own user's data, whatever order the backends answered in.
    for (const u of users) {
      const s = seed.getUser(u!.id)!;
      expect(u!.name).toBe(s.name);
      expect(u!.industry?.id ?? null).toBe(s.industryId);
      expect(u!.nps?.score ?? null).toBe(seed.latestNps(s.id)?.score ?? null);
      expect(u!.comments!.map((c) => c.id)).toEqual(seed.latestComments(s.id, 3).map((c) => c.id));
    }
    const routes = perRoute();
    expect(routes).toEqual({
      'auth /api/users': 1,
      'comment /api/comments': 1,
      'industry /api/industries': 1,
      'nps /api/nps/scores': 1,
    });
    // The one auth call asked for all 50 ids at once.
    const [usersCall] = stack.backends.auth.requests.all();
    expect(usersCall!.query.ids!.split(',').sort()).toEqual([...ids].sort());
  });

  it('100 ids still go out in one call per route', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `u${i + 1}`);
    const { body } = await stack.graphql('query ($ids: [ID!]!) { users(ids: $ids) { id } }', { ids }, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(stack.backendRequests('auth', '/api/users')).toBe(1);
  });

  it('151 ids are split into backend calls of at most 100, in the order asked, unknown ids null', async () => {
    // Reversed and sprinkled with unknown ids, so neither order nor position can come from the backend.
    const ids = Array.from({ length: 151 }, (_, i) => (i % 50 === 7 ? `nobody-${i}` : `u${151 - i}`));
    const { body } = await stack.graphql('query ($ids: [ID!]!) { users(ids: $ids) { id name } }', { ids }, { token: admin });
    expect(body.errors).toBeUndefined();
    expect(body.data!.users).toHaveLength(151);
    ids.forEach((id, i) => {
      const user = (body.data!.users as Array<{ id: string; name: string } | null>)[i];
      if (id.startsWith('nobody')) expect(user, id).toBeNull();
      else expect(user, id).toEqual({ id, name: seed.getUser(id)!.name });
    });
    const calls = stack.backends.auth.requests.all().filter((r) => r.path === '/api/users');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.query.ids!.split(',').length).toBeLessThanOrEqual(100);
    expect(calls.flatMap((c) => c.query.ids!.split(',')).sort()).toEqual([...new Set(ids)].sort());
  });

  it("accepts GRAPHQL_MAX_IDS (500) ids with the contract's fields; 501 is BAD_USER_INPUT and reaches no backend", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `u${i + 1}`);
    const query = 'query ($ids: [ID!]!) { users(ids: $ids) { id name industry { name } nps { score } comments(limit: 3) { id } } }';
    const { body } = await stack.graphql(query, { ids }, { token: admin });
    expect(body.errors).toBeUndefined();
    expect((body.data!.users as Array<{ id: string }>).map((u) => u.id)).toEqual(ids);
    for (const call of stack.backends.auth.requests.all()) expect(call.query.ids!.split(',').length).toBeLessThanOrEqual(100);
    expect(stack.backendRequests('auth', '/api/users')).toBe(5);

    stack.backends.resetAll();
    const tooMany = Array.from({ length: 501 }, (_, i) => `u${i + 1}`);
    const refused = await stack.graphql('query ($ids: [ID!]!) { users(ids: $ids) { id } }', { ids: tooMany }, { token: admin });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toMatch(/At most 500 ids/);
    expect(stack.backendRequests()).toBe(0);
  });

  it('the same id asked twice in one query is loaded once', async () => {
    const { body } = await stack.graphql(UsersDocument, { ids: ['u3', 'u3', 'u4'] }, { token: admin });
    expect(body.data!.users.map((u) => u?.id)).toEqual(['u3', 'u3', 'u4']);
    const call = stack.backends.auth.requests.all();
    expect(call).toHaveLength(1);
    expect(call[0]!.query.ids!.split(',').sort()).toEqual(['u3', 'u4']);
  });

  it('identical concurrent dashboards are coalesced into one upstream call per route', async () => {
    const token = await stack.token('u1');
    const answers = await Promise.all(Array.from({ length: 5 }, () => stack.graphql(DashboardDocument, { userId: 'u1' }, { token })));
    for (const a of answers) {
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data!.userDashboard!.user.id).toBe('u1');
    }
    for (const [route, n] of Object.entries(perRoute())) expect(n, route).toBe(1);
  });
});
