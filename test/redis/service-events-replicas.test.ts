import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayApp } from '../../src/app.js';
import { subscribeSse } from '../support/sse.js';
import { startReplica, startStack, waitFor, type Stack } from '../support/stack.js';
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
  let two: GatewayApp;
  let twoUrl: string;

  beforeAll(async () => {
    redis = await TestRedis.start();
    one = await startStack({ env: { REDIS_URL: redis.url, GATEWAY_REPLICA_ID: 'replica-1' }, logLevel: 'warn' });
    ({ app: two, url: twoUrl } = await startReplica(one.backends.urls, { REDIS_URL: redis.url, GATEWAY_REPLICA_ID: 'replica-2' }));
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await redis?.stop();
  });

  it('a subscriber on replica 1 sees a breaker opened and a cache cleared on replica 2, once each, with replica 2 as their replica', async () => {
    const admin = await one.token('u2', 'admin');
    const sub = await subscribeSse<Result>(`${one.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${admin}` } });
    expect(sub.status).toBe(200);
    // Replica 1 listens on Redis once its SUBSCRIBE is acknowledged.
    await waitFor(() => Number(redis.cli('PUBSUB', 'NUMSUB', 'gw:events:service-events').split('\n')[1]) >= 1, 10_000);

    const post = (query: string) =>
      fetch(`${twoUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query }),
      }).then((r) => r.json() as Promise<{ errors?: unknown }>);
    expect((await post('mutation { openBreaker(service: "comment") { name } }')).errors).toBeUndefined();
    const opened = await sub.next((r) => r.data?.serviceEvents.type === 'breaker');
    expect(opened.data!.serviceEvents).toEqual({ type: 'breaker', service: 'comment', from: 'CLOSED', to: 'OPEN', replica: 'replica-2' });
    // Breakers stay per replica: replica 1's own comment breaker did not move.
    expect(one.app.services.upstreams.clients.comment.breaker.state).toBe('CLOSED');

    expect((await post('mutation { clearCache(service: "nps") }')).errors).toBeUndefined();
    await sub.next((r) => r.data?.serviceEvents.type === 'cache');
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would have arrived by now
    expect(sub.results.map((r) => `${r.data?.serviceEvents.type}@${r.data?.serviceEvents.replica}`)).toEqual([
      'breaker@replica-2',
      'cache@replica-2',
    ]);
    sub.close();
    await waitFor(() => one.app.services.serviceEvents.open === 0, 10_000);
  });
});
