import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';

const ADMIN_ROUTES = [
  { action: 'forceSync', method: 'POST', path: '/api/gateway/sync/force' },
  // Before resetBreaker, which closes the breaker it forces open again.
  { action: 'openBreaker', method: 'POST', path: '/api/gateway/circuit-breaker/open', body: { service: 'comment' } },
  { action: 'resetBreaker', method: 'POST', path: '/api/gateway/circuit-breaker/reset', body: { service: 'comment' } },
  { action: 'clearCache', method: 'DELETE', path: '/api/gateway/cache?service=nps' },
] as const;

const ADMIN_MUTATIONS = [
  { action: 'forceSync', query: 'mutation { forceSync { status } }' },
  { action: 'openBreaker', query: 'mutation { openBreaker(service: "comment") { name } }' },
  { action: 'resetBreaker', query: 'mutation { resetBreaker(service: "comment") { name } }' },
  { action: 'clearCache', query: 'mutation { clearCache }' },
] as const;

type Who = 'anonymous' | 'user' | 'service' | 'admin';
const API_KEY = 'ops-key-0123456789abcdef';

/**
 * Authorization: every admin route and mutation is refused for anonymous (401 /
 * UNAUTHENTICATED), `user` and `service` (403 / FORBIDDEN) and allowed for `admin`; each
 * attempt leaves one audit line (who, what, request id, outcome).
 */
describe('security: admin actions', () => {
  let stack: FastApp;
  const headers: Record<Who, Record<string, string>> = { anonymous: {}, user: {}, service: { 'x-api-key': API_KEY }, admin: {} };

  beforeAll(async () => {
    stack = await startApp({
      env: { GATEWAY_API_KEYS: `ops:${API_KEY}`, FEATURE_SYNC_MONITORING: 'true', RATE_LIMIT_MUTATION_MAX: '1000' },
    });
    headers.user = { authorization: `Bearer ${await stack.token('u1', 'user')}` };
    headers.admin = { authorization: `Bearer ${await stack.token('u2', 'admin')}` };
  });
  afterAll(() => stack?.close());

  const auditFor = (requestId: string) => stack.logs.lines.filter((l) => l.audit === true && l.requestId === requestId);

  const expected: Record<Who, { status: number; code?: string; outcome: string }> = {
    anonymous: { status: 401, code: 'UNAUTHENTICATED', outcome: 'refused' },
    user: { status: 403, code: 'FORBIDDEN', outcome: 'refused' },
    service: { status: 403, code: 'FORBIDDEN', outcome: 'refused' },
    admin: { status: 200, outcome: 'success' },
  };
  const whos: Who[] = ['anonymous', 'user', 'service', 'admin'];

  describe.each(ADMIN_ROUTES)('REST $method $path', (route) => {
    it.each(whos)('%s', async (who) => {
      const requestId = `authz-${route.action}-${who}-rest`;
      const res = await stack.inject({
        method: route.method,
        url: route.path,
        headers: { ...headers[who], 'x-request-id': requestId, ...('body' in route ? { 'content-type': 'application/json' } : {}) },
        ...('body' in route ? { payload: JSON.stringify(route.body) } : {}),
      });
      const want = expected[who];
      expect(res.statusCode).toBe(want.status);
      if (want.code) expect(res.json()).toMatchObject({ error: want.code });
      const lines = auditFor(requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ action: route.action, outcome: want.outcome, role: who === 'anonymous' ? 'anonymous' : who });
      expect(lines[0]!.actor).toBe({ anonymous: 'anonymous', user: 'u1', service: 'service:ops', admin: 'u2' }[who]);
    });
  });

  describe.each(ADMIN_MUTATIONS)('GraphQL $action', (mutation) => {
    it.each(whos)('%s', async (who) => {
      const requestId = `authz-${mutation.action}-${who}-gql`;
      const { body } = await stack.graphql(mutation.query, {}, { headers: { ...headers[who], 'x-request-id': requestId } });
      const want = expected[who];
      if (want.code) {
        expect(body.errors?.[0]?.extensions?.code).toBe(want.code);
        expect(body.data ?? null).toBeNull();
      } else {
        expect(body.errors ?? []).toEqual([]);
      }
      const lines = auditFor(requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ action: mutation.action, outcome: want.outcome, via: 'graphql' });
    });
  });

  it('a refused admin mutation changes nothing: the cache keeps its entries', async () => {
    await stack.graphql('{ user(id: "u1") { id } }', {}, { headers: headers.admin });
    const before = await stack.app.services.upstreams.cache.keyCount();
    await stack.graphql('mutation { clearCache }', {}, { headers: headers.user });
    const after = await stack.app.services.upstreams.cache.keyCount();
    expect(after).toBe(before);
    expect(before).toBeGreaterThan(0);
  });
});
