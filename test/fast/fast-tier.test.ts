import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { startApp, type FastApp } from '../support/app.js';
import { seed } from '../support/memory-backends.js';

/** The fast tier itself: the real app in-process, the reference services in memory, no socket. */
describe('fast tier (test/support/app.ts)', () => {
  let stack: FastApp;

  beforeAll(async () => {
    stack = await startApp();
  });
  afterAll(() => stack?.close());

  it('serves a dashboard from the seed without listening, and logs what reached each service', async () => {
    const token = await stack.token('u1');
    const { status, body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.userDashboard!.user).toMatchObject({ id: 'u1', name: seed.getUser('u1')!.name });
    expect(body.data!.userDashboard!.degraded).toEqual([]);
    expect(stack.app.server.server.listening).toBe(false);
    for (const service of ['auth', 'comment', 'industry', 'nps'] as const) expect(stack.backendRequests(service)).toBeGreaterThan(0);
    expect(stack.backends.auth.requests.all()[0]!.headers['x-user-id']).toBe('u1');
  });

  it('reset() empties the caches and the logs: the next read goes upstream again', async () => {
    const token = await stack.token('u1');
    await stack.graphql('{ user(id: "u1") { id } }', {}, { token });
    await stack.reset();
    expect(stack.backendRequests()).toBe(0);
    await stack.graphql('{ user(id: "u1") { id } }', {}, { token });
    expect(stack.backendRequests('auth')).toBe(1);
  });
});
