import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { mintToken, startReplica, startStack, TEST_JWT_SECRET, waitFor, type InProcessReplica, type Stack } from '../support/stack.js';

// Skipped where no Redis is configured; with REQUIRE_REDIS=1 it runs (default URL below) and an
// unreachable Redis fails it instead of skipping.
const required = process.env.REQUIRE_REDIS === '1';
const redisUrl = process.env.REDIS_URL || (required ? 'redis://127.0.0.1:6379' : undefined);
const suite = redisUrl ? describe : describe.skip;
const title = redisUrl
  ? 'core: two gateway instances share one Redis cache'
  : 'core: two gateway instances share one Redis cache — skipped: set REDIS_URL (or REQUIRE_REDIS=1 for redis://127.0.0.1:6379)';

suite(title, () => {
  // The backends report a version of their own for this run, and entries are keyed by it:
  // nothing another run (or another test file) left in Redis can answer for these.
  const version = `1.0.0-shared.${randomUUID().slice(0, 8)}`;
  let a: Stack;
  let b: InProcessReplica;

  beforeAll(async () => {
    a = await startStack({ env: { REDIS_URL: redisUrl! }, backends: { version } });
    b = await startReplica(a.backends.urls, { REDIS_URL: redisUrl! });
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  /** The dashboard of `userId` as `gateway` answers it (the response body). */
  async function dashboardFrom(gateway: Pick<Stack, 'graphql'>, userId: string, token: string) {
    const res = await gateway.graphql(DashboardDocument, { userId }, { token });
    return res.body as {
      data?: { userDashboard: { user: { id: string }; degraded: string[] } & Record<string, unknown> };
      errors?: unknown[];
    };
  }

  it('both instances use Redis', () => {
    expect(a.app.services.upstreams.cache.stats.backend).toBe('redis');
    expect(b.app.services.upstreams.cache.stats.backend).toBe('redis');
  });

  it('the second instance answers a dashboard the first one cached without reaching any backend', async () => {
    const admin = await mintToken(TEST_JWT_SECRET, 'u2', 'admin');
    // A replica learns each service's version from its first answer (or its sync monitor's
    // first poll); until then it cannot know which entries are current. Warm B up on another user.
    const warmup = await dashboardFrom(b, 'u3', admin);
    expect(warmup.errors).toBeUndefined();
    for (const s of ['auth', 'comment', 'industry', 'nps'] as const) expect(b.app.services.upstreams.versions.get(s)).toBe(version);

    a.clearBackendLog();
    const first = await dashboardFrom(a, 'u1', admin);
    expect(first.errors).toBeUndefined();
    expect(a.backendRequests()).toBeGreaterThanOrEqual(4);

    a.clearBackendLog();
    const hitsBefore = b.app.services.upstreams.cache.stats.hits;
    const second = await dashboardFrom(b, 'u1', admin);
    expect(second.errors).toBeUndefined();
    expect(a.backendRequests()).toBe(0);
    expect(b.app.services.upstreams.cache.stats.hits).toBeGreaterThan(hitsBefore);
    const { generatedAt: _x, ...fromA } = first.data!.userDashboard;
    const { generatedAt: _y, ...fromB } = second.data!.userDashboard;
    expect(fromB).toEqual(fromA);
  });

  it('entries the first instance cached for single reads serve the second too', async () => {
    const admin = await mintToken(TEST_JWT_SECRET, 'u2', 'admin');
    const q = async (gateway: Pick<Stack, 'graphql'>) =>
      (await gateway.graphql('query { users(ids: ["u11", "u12"]) { id name comments(limit: 2) { id } } }', undefined, { token: admin }))
        .body;
    a.clearBackendLog();
    const fromA = await q(a);
    expect(a.backendRequests()).toBe(2); // users + comments
    a.clearBackendLog();
    const fromB = await q(b);
    expect(fromB).toEqual(fromA);
    expect(a.backendRequests()).toBe(0);
  });

  it('a response one instance kept is answered whole by the other, until either clears the cache', async () => {
    const admin = await mintToken(TEST_JWT_SECRET, 'u2', 'admin');
    const first = await dashboardFrom(a, 'u7', admin);
    expect(first.errors).toBeUndefined();
    a.clearBackendLog();
    const hits = b.app.services.metrics!.requests.responseCache.hits;
    const second = await dashboardFrom(b, 'u7', admin);
    // The very response A sent, generatedAt included, from Redis.
    expect(second).toEqual(first);
    expect(b.app.services.metrics!.requests.responseCache.hits).toBe(hits + 1);
    expect(a.backendRequests()).toBe(0);

    const cleared = await fetch(`${b.url}/api/gateway/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(cleared.status).toBe(200);
    const third = await dashboardFrom(a, 'u7', admin);
    expect(third.data!.userDashboard.generatedAt).not.toBe(first.data!.userDashboard.generatedAt);
    expect(a.backendRequests()).toBeGreaterThanOrEqual(4);
  });

  it('a cold replica with sync monitoring (the default) learns the versions at start and reads what the first cached', async () => {
    const admin = await mintToken(TEST_JWT_SECRET, 'u2', 'admin');
    const first = await dashboardFrom(a, 'u5', admin);
    expect(first.errors).toBeUndefined();

    // Sync monitoring on: its checks are what report the versions the cold replica keys by.
    const cold = await startReplica(a.backends.urls, {
      FEATURE_SYNC_MONITORING: 'true',
      SHARED_KNOWLEDGE_VERSION: version,
      REDIS_URL: redisUrl!,
    });
    try {
      await waitFor(
        () => (['auth', 'comment', 'industry', 'nps'] as const).every((s) => cold.app.services.upstreams.versions.get(s) === version),
        10_000,
        20,
        'the sync monitor reporting the versions',
      );
      a.clearBackendLog();
      const second = await dashboardFrom(cold, 'u5', admin);
      expect(second.errors).toBeUndefined();
      // Health checks may go on in the background; no data route is asked.
      const dataCalls = a.backends.all
        .flatMap((s) => s.requests.all())
        .filter((r) => r.path.startsWith('/api/') && r.path !== '/api/shared-knowledge/status');
      expect(dataCalls.map((r) => r.path)).toEqual([]);
      expect(second.data!.userDashboard.user.id).toBe('u5');
    } finally {
      await cold.app.close();
    }
  });
});
