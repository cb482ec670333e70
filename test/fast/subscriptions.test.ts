import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { createGatewayYoga, type GatewayYoga } from '../../src/graphql/yoga.js';
import { startApp, type FastApp } from '../support/app.js';
import { takeSseFrame } from '../support/sse.js';

const SUBSCRIPTION = 'subscription { serviceEvents { type service from to at replica } }';

/** One subscriber through the gateway's Yoga pipeline in process (no socket): the stream and a way to hang up. */
async function subscribe(yoga: GatewayYoga, app: FastApp, token?: string) {
  const principal = token ? await app.app.services.authenticator.authenticate({ authorization: `Bearer ${token}` }) : null;
  const req = { principal, id: 'sub-test', trace: {}, log: app.app.services.logger } as unknown as FastifyRequest;
  const res = await yoga.fetch(
    'http://gateway.test/graphql',
    {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    },
    { req, reply: undefined as never },
  );
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  // As a client does: the stream is open once its first bytes (a keep-alive comment) arrive.
  const opened = await reader.read();
  let buffer = decoder.decode(opened.value, { stream: true });
  return {
    res,
    /** The next `event: next` payload (keep-alive comments skipped). */
    async next(): Promise<{ data?: { serviceEvents: Record<string, unknown> }; errors?: Array<{ extensions?: { code?: string } }> }> {
      for (;;) {
        const taken = takeSseFrame(buffer);
        if (taken) {
          buffer = taken.rest;
          if (taken.frame.event === 'next') return JSON.parse(taken.frame.data) as never;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    // As the HTTP layer does when the client goes away: the body stream is destroyed (a reader's
    // cancel() before its first read never reaches the source of Yoga's stream ponyfill).
    hangUp: () => res.body!.cancel(),
  };
}

describe('serviceEvents subscription (in process)', () => {
  let app: FastApp;
  let yoga: GatewayYoga;
  let admin: string;

  beforeAll(async () => {
    app = await startApp({ env: { GATEWAY_REPLICA_ID: 'replica-fast', MONITORING_PUBLIC: 'false', GRAPHQL_MAX_SUBSCRIPTIONS: '3' } });
    yoga = createGatewayYoga(app.app.services);
    admin = await app.token('u2', 'admin');
  });
  afterAll(() => app?.close());

  it('streams every published event to every subscriber, with this replica and a timestamp', async () => {
    const a = await subscribe(yoga, app, admin);
    const b = await subscribe(yoga, app, admin);
    expect(a.res.headers.get('content-type')).toBe('text/event-stream');
    app.app.services.upstreams.clients.comment.breaker.forceOpen();
    const expected = { type: 'breaker', service: 'comment', from: 'CLOSED', to: 'OPEN', replica: 'replica-fast' };
    for (const sub of [a, b]) {
      const { data } = await sub.next();
      expect(data?.serviceEvents).toMatchObject(expected);
      expect(new Date(String(data?.serviceEvents.at)).toISOString()).toBe(data?.serviceEvents.at);
    }
    const cleared = await app.graphql('mutation { clearCache(service: "nps") }', {}, { token: admin });
    expect(cleared.body.errors).toBeUndefined();
    expect((await a.next()).data?.serviceEvents).toMatchObject({ type: 'cache', service: 'nps', from: null, to: null });
    await a.hangUp();
    await b.hangUp();
    app.app.services.upstreams.clients.comment.breaker.reset();
  });

  it('the monitoring rule decides who may subscribe: refusals are coded GraphQL errors', async () => {
    const anonymous = await subscribe(yoga, app);
    expect((await anonymous.next()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const user = await subscribe(yoga, app, await app.token('u1'));
    expect((await user.next()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(app.app.services.serviceEvents.open).toBe(0);
  });

  it('over HTTP: a subscription that does not ask for text/event-stream is BAD_REQUEST; an unknown field is GRAPHQL_VALIDATION_FAILED', async () => {
    const json = await app.graphql(SUBSCRIPTION, {}, { token: admin });
    expect(json.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const wildcard = await app.graphql(SUBSCRIPTION, {}, { token: admin, headers: { accept: '*/*' } });
    expect(wildcard.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const unknown = await app.graphql('subscription { syncStatus { status } }', {}, { token: admin });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      payload: JSON.stringify({ query: SUBSCRIPTION }),
    });
    expect(anonymous.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(anonymous.body).toMatch(/^event: next\ndata: .*"code":"UNAUTHENTICATED"/m);
    expect(anonymous.body).toContain('event: complete');
  });

  it('at most GRAPHQL_MAX_SUBSCRIPTIONS are open; one more is TOO_MANY_SUBSCRIPTIONS; a hang-up frees a slot; /metrics shows the gauge', async () => {
    const open = await Promise.all([1, 2, 3].map(() => subscribe(yoga, app, admin)));
    await vi.waitFor(() => expect(app.app.services.serviceEvents.open).toBe(3));
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(metrics.body).toMatch(/^gateway_subscriptions_open 3$/m);
    const refused = await subscribe(yoga, app, admin);
    expect((await refused.next()).errors?.[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    await open[0]!.hangUp();
    await vi.waitFor(() => expect(app.app.services.serviceEvents.open).toBe(2));
    const again = await subscribe(yoga, app, admin);
    await vi.waitFor(() => expect(app.app.services.serviceEvents.open).toBe(3));
    for (const sub of [...open.slice(1), again]) await sub.hangUp();
    await vi.waitFor(() => expect(app.app.services.serviceEvents.open).toBe(0));
    const after = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(after.body).toMatch(/^gateway_subscriptions_open 0$/m);
  });

  it('10 000 connect/disconnect cycles leave nothing behind: no slot, no bus listener, no keep-alive timer', async () => {
    const target = EventTarget.prototype;
    const add = vi.spyOn(target, 'addEventListener');
    const remove = vi.spyOn(target, 'removeEventListener');
    // Keep-alive intervals started and not cleared during the run.
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    const live = new Set<unknown>();
    const setSpy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((...args: Parameters<typeof realSet>) => {
      const handle = realSet(...args);
      live.add(handle);
      return handle;
    }) as typeof realSet);
    const clearSpy = vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle: NodeJS.Timeout) => {
      live.delete(handle);
      realClear(handle);
    }) as typeof realClear);
    add.mockClear();
    remove.mockClear();
    let listeners: number;
    try {
      for (let i = 0; i < 10_000; i++) {
        const sub = await subscribe(yoga, app, admin);
        if (i % 1000 === 0) {
          // Every thousandth subscriber proves it was live before hanging up.
          app.app.services.serviceEvents.publish({ type: 'cache', service: null, from: null, to: null });
          expect((await sub.next()).data?.serviceEvents.type).toBe('cache');
        }
        await sub.hangUp();
      }
      await vi.waitFor(() => expect(app.app.services.serviceEvents.open).toBe(0));
      const count = (spy: typeof add) => spy.mock.calls.filter(([type]) => type === 'service-events').length;
      expect(count(add)).toBe(10_000);
      listeners = count(add) - count(remove);
      expect(setSpy.mock.calls.length).toBeGreaterThanOrEqual(10_000);
    } finally {
      add.mockRestore();
      remove.mockRestore();
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
    expect(listeners).toBe(0);
    expect(live.size).toBe(0);
  }, 120_000);
});
