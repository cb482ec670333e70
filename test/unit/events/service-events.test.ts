import { describe, expect, it } from 'vitest';
import { createGatewayPubSub, ServiceEvents, SUBSCRIBER_BUFFER } from '../../../src/events/index.js';

const hub = (maxSubscriptions = 10) =>
  new ServiceEvents({ pubsub: createGatewayPubSub().pubsub, replica: 'r1', maxSubscriptions, now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });

describe('ServiceEvents', () => {
  it('stamps what it publishes with the replica and the time', async () => {
    const events = hub();
    const stream = events.subscribe();
    const first = stream.next();
    events.publish({ type: 'breaker', service: 'comment', from: 'CLOSED', to: 'OPEN' });
    expect((await first).value).toEqual({
      type: 'breaker',
      service: 'comment',
      from: 'CLOSED',
      to: 'OPEN',
      at: '2026-01-02T03:04:05.000Z',
      replica: 'r1',
    });
    await stream.return?.();
    expect(events.open).toBe(0);
  });

  it('a subscriber that stops reading keeps only the latest events and never breaks the publisher', async () => {
    const events = hub();
    const stalled = events.subscribe();
    const first = stalled.next(); // subscribed, then never read again while 5000 events go by, a few per tick
    for (let i = 0; i < 5000; i++) {
      events.publish({ type: 'version', service: 'nps', from: null, to: String(i) });
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    const got = [(await first).value?.to];
    for (let i = 0; i < SUBSCRIBER_BUFFER; i++) got.push((await stalled.next()).value?.to);
    expect(got[0]).toBe('0');
    expect(got.slice(1)).toEqual(Array.from({ length: SUBSCRIBER_BUFFER }, (_, i) => String(5000 - SUBSCRIBER_BUFFER + i)));
    await stalled.return?.();
  });

  it('a slot is taken per open stream and given back once, whether returned before or after it started', async () => {
    const events = hub(2);
    const a = events.subscribe();
    const b = events.subscribe();
    expect(() => events.subscribe()).toThrow(expect.objectContaining({ code: 'TOO_MANY_SUBSCRIPTIONS' }));
    await a.return?.(); // never started
    await a.return?.();
    expect(events.open).toBe(1);
    const pending = b.next();
    await b.return?.();
    expect((await pending).done).toBe(true);
    expect(events.open).toBe(0);
  });
});
