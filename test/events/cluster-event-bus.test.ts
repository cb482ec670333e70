import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGatewayPubSub,
  SUBSCRIBER_BUFFER,
  type GatewayEventBus,
  type GatewayPubSub,
  type ServiceEvent,
} from '../../src/events/index.js';
import { sleep, waitFor } from '../support/kit.js';
import { redisRequired, TestRedis } from '../support/redis-server.js';

/** Collects what a subscriber receives on one topic until `stop()`. */
function collect<T>(pubsub: GatewayPubSub, topic: 'service-events' | 'cache-invalidations'): { got: T[]; stop: () => void } {
  const got: T[] = [];
  const sub = pubsub.subscribe(topic);
  void (async () => {
    for await (const event of sub) got.push(event as T);
  })();
  return { got, stop: () => void sub.return() };
}

const event = (to: string, replica: string): ServiceEvent => ({
  type: 'breaker',
  service: 'comment',
  from: 'CLOSED',
  to,
  at: new Date().toISOString(),
  replica,
});

describe('cluster event bus without Redis', () => {
  it('delivers in process, to this bus only', async () => {
    const a = createGatewayPubSub();
    const b = createGatewayPubSub();
    const onA = collect<ServiceEvent>(a.pubsub, 'service-events');
    const onB = collect<ServiceEvent>(b.pubsub, 'service-events');
    a.pubsub.publish('service-events', event('OPEN', 'a'));
    await waitFor(() => onA.got.length === 1, 2000);
    expect(onA.got).toEqual([expect.objectContaining({ to: 'OPEN', replica: 'a' })]);
    expect(onB.got).toEqual([]);
    expect(a.redisConnected).toBeUndefined();
    onA.stop();
    onB.stop();
  });

  it('a subscriber that stops reading holds only its latest events; publishing never throws', async () => {
    // Yoga's own stream throws from the publisher's dispatch past 1024 undelivered events: a
    // slow consumer of any topic (a cache-invalidation listener, a stalled subscription) would
    // take the process down.
    const { pubsub } = createGatewayPubSub();
    const stalled = pubsub.subscribe('cache-invalidations');
    const first = stalled.next();
    for (let i = 0; i < 5000; i++) {
      expect(() => pubsub.publish('cache-invalidations', { service: String(i), replica: 'a', at: '' })).not.toThrow();
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    const got = [(await first).value?.service];
    for (let i = 0; i < SUBSCRIBER_BUFFER; i++) got.push((await stalled.next()).value?.service);
    expect(got[0]).toBe('0');
    expect(got.slice(1)).toEqual(Array.from({ length: SUBSCRIBER_BUFFER }, (_, i) => String(5000 - SUBSCRIBER_BUFFER + i)));
    await stalled.return();
  });
});

(redisRequired ? describe : describe.skip)('cluster event bus over Redis', () => {
  let redis: TestRedis;
  const buses: GatewayEventBus[] = [];
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    await redis?.stop();
  });
  const bus = () => {
    const b = createGatewayPubSub({ redisUrl: redis.url, namespace: 'bus-test' });
    buses.push(b);
    return b;
  };

  it('carries an event to every bus once, the sender included', async () => {
    const [a, b, c] = [bus(), bus(), bus()];
    await waitFor(() => [a, b, c].every((x) => x.redisConnected), 5000);
    // Subscribed on Redis up front; give the SUBSCRIBEs a moment to be acknowledged.
    await waitFor(() => redis.subscribers('bus-test:events:service-events') === 3, 5000);
    const subs = [a, b, c].map((x) => collect<ServiceEvent>(x.pubsub, 'service-events'));
    a.pubsub.publish('service-events', event('OPEN', 'a'));
    c.pubsub.publish('cache-invalidations', { service: null, replica: 'c', at: new Date().toISOString() });
    await waitFor(() => subs.every((s) => s.got.length >= 1), 5000);
    await sleep(200); // a duplicate would arrive by now
    for (const s of subs) expect(s.got).toEqual([expect.objectContaining({ type: 'breaker', to: 'OPEN', replica: 'a' })]);
    for (const s of subs) s.stop();
  });

  it('keeps delivering locally, without throwing or waiting, while Redis is down; crosses again once it is back', async () => {
    const [a, b] = [bus(), bus()];
    await waitFor(() => a.redisConnected === true && b.redisConnected === true, 5000);
    const onA = collect<ServiceEvent>(a.pubsub, 'service-events');
    const onB = collect<ServiceEvent>(b.pubsub, 'service-events');
    await redis.stop();
    await waitFor(() => a.redisConnected === false, 5000);
    const started = performance.now();
    a.pubsub.publish('service-events', event('OPEN', 'a'));
    expect(performance.now() - started).toBeLessThan(50);
    await waitFor(() => onA.got.length === 1, 2000);
    expect(onB.got).toEqual([]);

    await redis.restart();
    await waitFor(() => a.redisConnected === true && b.redisConnected === true, 10_000);
    await waitFor(() => redis.subscribers('bus-test:events:service-events') >= 2, 5000);
    a.pubsub.publish('service-events', event('HALF_OPEN', 'a'));
    await waitFor(() => onB.got.length === 1, 5000);
    expect(onB.got[0]).toMatchObject({ to: 'HALF_OPEN' });
    expect(onA.got.map((e) => e.to)).toEqual(['OPEN', 'HALF_OPEN']);
    onA.stop();
    onB.stop();
  });
});
