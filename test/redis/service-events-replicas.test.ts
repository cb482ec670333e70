import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeSse } from '../support/sse.js';
import { sleep } from '../support/kit.js';
import { startReplica, startStack, waitFor, type InProcessReplica, type Stack } from '../support/stack.js';
import { redisRequired, TestRedis } from '../support/redis-server.js';

const SUBSCRIPTION = 'subscription { serviceEvents { type service from to replica } }';
type Result = {
  data?: { serviceEvents: { type: string; service: string | null; from: string | null; to: string | null; replica: string } };
};

/**
 * gateway.md, "Subscriptions": with REDIS_URL, every replica's events reach every subscriber,
 * whichever replica it is connected to. Two gateways on a throwaway redis-server: subscribe on
 * one, act on the other.
 */
(redisRequired ? describe : describe.skip)('serviceEvents across two replicas sharing Redis', () => {
  let redis: TestRedis;
  let one: Stack;
  let two: InProcessReplica;

  beforeAll(async () => {
    redis = await TestRedis.start();
    one = await startStack({ env: { REDIS_URL: redis.url, GATEWAY_REPLICA_ID: 'replica-1' }, logLevel: 'warn' });
    two = await startReplica(one.backends.urls, { REDIS_URL: redis.url, GATEWAY_REPLICA_ID: 'replica-2' });
  });
  afterAll(async () => {
    await two?.app.close();
    await one?.close();
    await redis?.stop();
  });

  it('a subscriber on replica 1 sees a breaker opened and a cache cleared on replica 2, once each, with replica 2 as their replica', async () => {
    const admin = await one.token('u2', 'admin');
    const sub = await subscribeSse<Result>(`${one.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${admin}` } });
    expect(sub.status).toBe(200);
    // Replica 1 listens on Redis once its SUBSCRIBE is acknowledged.
    await waitFor(() => redis.subscribers('gw:events:service-events') >= 1, 10_000);

    const onTwo = async (query: string) => (await two.graphql(query, undefined, { token: admin })).body;
    expect((await onTwo('mutation { openBreaker(service: "comment") { name } }')).errors).toBeUndefined();
    const opened = await sub.next((r) => r.data?.serviceEvents.type === 'breaker');
    expect(opened.data!.serviceEvents).toEqual({ type: 'breaker', service: 'comment', from: 'CLOSED', to: 'OPEN', replica: 'replica-2' });
    // Breakers stay per replica: replica 1's own comment breaker did not move.
    expect(one.app.services.upstreams.clients.comment.breaker.state).toBe('CLOSED');

    expect((await onTwo('mutation { clearCache(service: "nps") }')).errors).toBeUndefined();
    await sub.next((r) => r.data?.serviceEvents.type === 'cache');
    await sleep(300); // a duplicate would have arrived by now
    expect(sub.results.map((r) => `${r.data?.serviceEvents.type}@${r.data?.serviceEvents.replica}`)).toEqual([
      'breaker@replica-2',
      'cache@replica-2',
    ]);
    sub.close();
    await waitFor(() => one.app.services.serviceEvents.open === 0, 10_000);
  });
});
