import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayApp } from '../../src/app.js';
import { DashboardDocument } from '../generated/graphql.js';
import { redisRequired, TestRedis } from '../support/redis-server.js';
import { startReplica, startStack, waitFor, type Stack } from '../support/stack.js';

/**
 * A clear on one replica drops every replica's in-process tier through the cluster bus, not by
 * TTL (gateway.md "Running many replicas"). The in-process tier serves while a replica's breaker
 * around Redis is open; here replica A's is held open (its probe can never pass) while its event
 * bus stays connected — a replica cut off from Redis commands but not from pub/sub.
 */
(redisRequired ? describe : describe.skip)('a cache clear reaches the in-process tier of the other replicas', () => {
  let redis: TestRedis;
  let a: Stack;
  let b: GatewayApp;
  let bUrl: string;

  beforeAll(async () => {
    redis = await TestRedis.start();
    a = await startStack({ env: { REDIS_URL: redis.url } });
    ({ app: b, url: bUrl } = await startReplica(a.backends.urls, { REDIS_URL: redis.url }));
    await waitFor(() => a.app.services.events.redisConnected === true && b.services.events.redisConnected === true, 5000);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('within one second of a clear on B, A answers from the services again', async () => {
    const breaker = a.app.services.upstreams.cache.redisBreaker!;
    breaker.register(() => Promise.reject(new Error('held open by the test')));
    breaker.trip(new Error('test'));
    const admin = await a.token('tier-admin', 'admin');
    const dashboard = () => a.graphql(DashboardDocument, { userId: 'u3' }, { token: admin });

    expect((await dashboard()).body.errors).toBeUndefined();
    a.clearBackendLog();
    expect((await dashboard()).body.errors).toBeUndefined();
    expect(a.backendRequests()).toBe(0); // answered from A's in-process tier

    const cleared = await fetch(`${bUrl}/api/gateway/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(cleared.status).toBe(200);
    const clearedAt = Date.now();
    await waitFor(
      async () => {
        a.clearBackendLog();
        await dashboard();
        return a.backendRequests() >= 4;
      },
      1000,
      50,
      'A answering from the services after the clear on B',
    );
    expect(Date.now() - clearedAt).toBeLessThan(1000);
    expect(breaker.up).toBe(false); // still cut off from Redis: the bus did it
  });
});
