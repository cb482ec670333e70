import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { startApp, type FastApp } from '../support/app.js';

/** `FEATURE_ORCHESTRATION=false` switches the dashboard off on both faces, and nothing reaches a backend. */
describe('FEATURE_ORCHESTRATION=false', () => {
  let stack: FastApp;

  beforeAll(async () => {
    stack = await startApp({ env: { FEATURE_ORCHESTRATION: 'false' } });
  });
  afterAll(() => stack?.close());

  it('userDashboard answers FEATURE_DISABLED while other queries still work', async () => {
    const token = await stack.token('u1');
    const before = stack.backendRequests();
    const res = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(res.body.data?.userDashboard).toBeNull();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FEATURE_DISABLED');
    expect(stack.backendRequests()).toBe(before);

    const user = await stack.graphql('{ user(id: "u1") { name } }', {}, { token });
    expect(user.body.data).toEqual({ user: { name: 'Ada Lovelace' } });
  });

  it('the REST twin answers 501 with the coded JSON error', async () => {
    const token = await stack.token('u1');
    const res = await stack.inject({
      method: 'GET',
      url: '/api/orchestration/user/u1/dashboard',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(501);
    expect(res.json()).toMatchObject({ error: 'FEATURE_DISABLED' });
  });
});
