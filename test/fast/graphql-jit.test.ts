import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument, UserDocument, UsersDocument } from '../generated/graphql.js';
import { startApp, type FastApp } from '../support/app.js';

/**
 * graphql-jit (`GRAPHQL_JIT`, on by default) must be invisible to clients: the same data, the
 * same item-level errors and codes as graphql-js, for every shape the schema serves.
 */
describe('GRAPHQL_JIT: compiled execution answers exactly like graphql-js', () => {
  let jit: FastApp;
  let plain: FastApp;

  beforeAll(async () => {
    [jit, plain] = await Promise.all([startApp({ env: { GRAPHQL_JIT: 'true' } }), startApp({ env: { GRAPHQL_JIT: 'false' } })]);
  });
  afterAll(() => Promise.all([jit?.close(), plain?.close()]));

  const strip = (body: Record<string, unknown>) =>
    JSON.parse(JSON.stringify(body).replace(/"generatedAt":"[^"]+"/g, '"generatedAt":"-"')) as unknown;

  it('dashboard, user, users (with FORBIDDEN items and a NOT_FOUND) and a bad limit', async () => {
    const user = await jit.token('u1');
    const admin = await jit.token('u2', 'admin');
    const cases = [
      { doc: DashboardDocument, vars: { userId: 'u1' }, token: user },
      { doc: DashboardDocument, vars: { userId: 'u3' }, token: user },
      { doc: UserDocument, vars: { id: 'nope' }, token: admin },
      { doc: UsersDocument, vars: { ids: ['u1', 'u2', 'u404', 'u10'] }, token: user },
      { doc: UsersDocument, vars: { ids: ['u1', 'u2', 'u404', 'u10'] }, token: admin },
      { doc: '{ user(id: "u1") { comments(limit: 101) { id } } }', vars: {}, token: user },
    ] as const;
    for (const c of cases) {
      const [a, b] = await Promise.all([
        jit.graphql(c.doc as never, c.vars as never, { token: c.token }),
        plain.graphql(c.doc as never, c.vars as never, { token: c.token }),
      ]);
      expect(a.status).toBe(b.status);
      expect(strip(a.body)).toEqual(strip(b.body));
    }
  });
});
