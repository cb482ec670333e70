import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { startApp, type FastApp } from '../support/app.js';
import { TEST_JWT_SECRET } from '../support/stack.js';

/** "Who may do what" (reads): a user reads their own dashboard and record, an admin any. */
describe('core: read rules', () => {
  let stack: FastApp;

  beforeAll(async () => {
    stack = await startApp();
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  it("a user reading another user's dashboard gets FORBIDDEN, and no backend is asked", async () => {
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u3' }, { token });
    expect(body.data).toEqual({ userDashboard: null });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stack.backendRequests()).toBe(0);
  });

  it("a user reading another user's record gets FORBIDDEN", async () => {
    const token = await stack.token('u1');
    const { body } = await stack.graphql('query { user(id: "u3") { id } }', {}, { token });
    expect(body.data).toEqual({ user: null });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('in users(ids:), a user gets their own entry and FORBIDDEN nulls for every other', async () => {
    const token = await stack.token('u1');
    const { body } = await stack.graphql('query { users(ids: ["u3", "u1", "u4"]) { id } }', {}, { token });
    expect(body.data).toEqual({ users: [null, { id: 'u1' }, null] });
    const forbidden = body.errors!.filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => e.path);
    expect(forbidden).toEqual(
      expect.arrayContaining([
        ['users', 0],
        ['users', 2],
      ]),
    );
    expect(forbidden).toHaveLength(2);
    // Only the readable id went upstream.
    expect(stack.backends.auth.requests.all().map((r) => r.query.ids)).toEqual(['u1']);
  });

  it('an admin reads any dashboard', async () => {
    const token = await stack.token('u2', 'admin');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u3' }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.user.id).toBe('u3');
  });

  it('an unknown user is null with NOT_FOUND', async () => {
    const token = await stack.token('u2', 'admin');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u99999' }, { token });
    expect(body.data).toEqual({ userDashboard: null });
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it.each([
    ['no credentials', undefined],
    ['a malformed token', 'not.a.jwt'],
  ])('anonymous (%s) gets UNAUTHENTICATED and reaches no backend', async (_name, token) => {
    for (const query of [
      'query { userDashboard(userId: "u1") { degraded } }',
      'query { user(id: "u1") { id } }',
      'query { users(ids: ["u1"]) { id } }',
      'query { industries { id } }',
    ]) {
      const { body } = await stack.graphql(query, {}, token ? { token } : {});
      expect(body.errors?.[0]?.extensions?.code, query).toBe('UNAUTHENTICATED');
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('an expired token, a token signed with another secret, a token without exp or with alg none are refused', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key);
    const otherSecret = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(48)));
    const noExp = await new SignJWT({ role: 'user' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').sign(key);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', role: 'admin', exp: now + 3600 })}.`;
    for (const token of [expired, otherSecret, noExp, algNone]) {
      const { body } = await stack.graphql('query { user(id: "u1") { id } }', {}, { token });
      expect(body.data?.user ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(stack.backendRequests()).toBe(0);
  });

  it('refusals are coded client errors, never logged as server errors', async () => {
    const before = stack.logs.lines.length;
    const token = await stack.token('u1');
    await stack.graphql(DashboardDocument, { userId: 'u3' }, { token });
    await stack.graphql('query { user(id: "u1") { id } }', {});
    await stack.graphql(DashboardDocument, { userId: 'u99999' }, { token: await stack.token('u2', 'admin') });
    const errors = stack.logs.lines.slice(before).filter((l) => (l.level as number) >= 50);
    expect(errors.map((l) => l.msg)).toEqual([]);
  });

  it('client-sent x-user-id / x-user-role are never forwarded: the verified caller is', async () => {
    const token = await stack.token('u1');
    await stack.graphql('query { user(id: "u1") { id } }', {}, { token, headers: { 'x-user-id': 'u2', 'x-user-role': 'admin' } });
    const [call] = stack.backends.auth.requests.all();
    expect(call!.headers['x-user-id']).toBe('u1');
    expect(call!.headers['x-user-role']).toBe('user');
  });
});
