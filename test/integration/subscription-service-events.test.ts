import { createClient } from 'graphql-sse';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { subscribeSse, type SseSubscription } from '../support/sse.js';

const SUBSCRIPTION = 'subscription { serviceEvents { type service from to at replica } }';
type Event = { type: string; service: string | null; from: string | null; to: string | null; at: string; replica: string };
type Result = { data?: { serviceEvents: Event }; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

const is = (want: Partial<Event>) => (r: Result) =>
  r.data !== undefined && Object.entries(want).every(([k, v]) => r.data!.serviceEvents[k as keyof Event] === v);

/**
 * `serviceEvents` over real sockets, in front of the reference backends (gateway.md,
 * "Subscriptions"): every kind of event, produced the way operators meet them (a failing
 * backend, the admin mutations, a version bump seen by the sync monitor).
 */
describe('serviceEvents over SSE (integration)', () => {
  let stack: Stack;
  let admin: string;
  let sub: SseSubscription<Result>;

  beforeAll(async () => {
    stack = await startStack({
      env: {
        GATEWAY_REPLICA_ID: 'replica-one',
        MONITORING_PUBLIC: 'false',
        FEATURE_SYNC_MONITORING: 'true',
        SYNC_AUTO_UPDATE: 'false',
        SYNC_CHECK_INTERVAL: '3600000',
        CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2',
        ORCHESTRATION_RETRY_ATTEMPTS: '0',
        ORCHESTRATION_CACHE_ENABLED: 'false',
        GRAPHQL_SSE_KEEPALIVE: '1000',
        RATE_LIMIT_MAX: '1000',
      },
      logLevel: 'warn',
    });
    admin = await stack.token('u2', 'admin');
    await stack.app.services.sync.check(); // the first round's events (null → in_sync) happen before anyone listens
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
    sub = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${admin}` } });
    expect(sub.status).toBe(200);
    expect(sub.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });
  afterEach(() => {
    sub?.close();
  });

  it('a failing backend opens its breaker: the subscriber sees CLOSED → OPEN; resetBreaker: OPEN → CLOSED', async () => {
    stack.backends.comment.faults.set({ failStatus: 500 });
    for (let i = 0; i < 2; i++) await stack.graphql('{ user(id: "u1") { comments(limit: 1) { id } } }', {}, { token: admin });
    const opened = await sub.next(is({ type: 'breaker', service: 'comment', to: 'OPEN' }));
    expect(opened.data!.serviceEvents).toMatchObject({ from: 'CLOSED', replica: 'replica-one' });
    expect(Date.parse(opened.data!.serviceEvents.at)).not.toBeNaN();
    stack.backends.comment.faults.reset();
    const reset = await stack.graphql('mutation { resetBreaker(service: "comment") { breaker { state } } }', {}, { token: admin });
    expect(reset.body.errors).toBeUndefined();
    await sub.next(is({ type: 'breaker', service: 'comment', from: 'OPEN', to: 'CLOSED' }));
  });

  it('openBreaker (forced) and clearCache (whole and per service) are events too', async () => {
    await stack.graphql('mutation { openBreaker(service: "nps") { name } }', {}, { token: admin });
    await sub.next(is({ type: 'breaker', service: 'nps', from: 'CLOSED', to: 'OPEN' }));
    await stack.graphql('mutation { clearCache }', {}, { token: admin });
    await sub.next(is({ type: 'cache', service: null, from: null, to: null }));
    const rest = await fetch(`${stack.url}/api/gateway/cache?service=industry`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(rest.status).toBe(200);
    await sub.next(is({ type: 'cache', service: 'industry' }));
  });

  it('a version bump: the version event (1.0.0 → 1.1.0) and the sync event (in_sync → out_of_sync)', async () => {
    stack.backends.industry.faults.set({ version: '1.1.0' });
    const forced = await stack.graphql('mutation { forceSync { status } }', {}, { token: admin });
    expect(forced.body.errors).toBeUndefined();
    await sub.next(is({ type: 'version', service: 'industry', from: '1.0.0', to: '1.1.0' }));
    await sub.next(is({ type: 'sync', service: 'industry', from: 'in_sync', to: 'out_of_sync' }));
    stack.backends.industry.faults.reset();
    await stack.graphql('mutation { forceSync { status } }', {}, { token: admin });
    await sub.next(is({ type: 'sync', service: 'industry', from: 'out_of_sync', to: 'in_sync' }));
  });

  it('keep-alive comments every GRAPHQL_SSE_KEEPALIVE on a quiet stream', async () => {
    await waitFor(() => sub.messages.filter((m) => m.event === ':').length >= 3, 15_000, 100, 'three keep-alive comments');
  });

  it('a subscription counts against the rate limit once, at connect, not per event', async () => {
    const watcher = await stack.token('watcher-rl', 'admin');
    const own = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${watcher}` } });
    const atConnect = Number(own.headers.get('ratelimit-remaining'));
    expect(atConnect).toBe(999);
    for (let i = 0; i < 5; i++) stack.app.services.serviceEvents.publish({ type: 'cache', service: null, from: null, to: null });
    await waitFor(() => own.results.length >= 5, 10_000);
    const next = await fetch(`${stack.url}/api/gateway/stats`, { headers: { authorization: `Bearer ${watcher}` } });
    expect(Number(next.headers.get('ratelimit-remaining'))).toBe(atConnect - 1);
    own.close();
  });

  it('GET with accept: text/event-stream works too (with the CSRF header); refusals are coded (anonymous, user)', async () => {
    const viaGet = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, {
      method: 'GET',
      headers: { authorization: `Bearer ${admin}`, 'x-graphql-csrf': '1' },
    });
    expect(viaGet.status).toBe(200);
    stack.app.services.serviceEvents.publish({ type: 'cache', service: 'auth', from: null, to: null });
    await viaGet.next(is({ type: 'cache', service: 'auth' }));
    viaGet.close();

    const anonymous = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION);
    expect((await anonymous.next()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await anonymous.ended;
    const user = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, {
      headers: { authorization: `Bearer ${await stack.token('u1')}` },
    });
    expect((await user.next()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await user.ended;
  });

  it('the graphql-sse client library (distinct connections mode) receives events', async () => {
    const client = createClient({ url: `${stack.url}/graphql`, headers: { authorization: `Bearer ${admin}` }, retryAttempts: 0 });
    const iterator = client.iterate<{ serviceEvents: Event }>({ query: SUBSCRIPTION });
    const first = iterator.next();
    await waitFor(() => stack.app.services.serviceEvents.open >= 2, 10_000); // this test's SSE subscriber and the client
    stack.app.services.serviceEvents.publish({ type: 'cache', service: 'comment', from: null, to: null });
    expect((await first).value?.data?.serviceEvents).toMatchObject({ type: 'cache', service: 'comment', replica: 'replica-one' });
    await iterator.return?.();
    client.dispose();
  });

  it('single connection mode (graphql-sse, /graphql/stream): events arrive; refusals are coded; the slot is given back', async () => {
    const open = stack.app.services.serviceEvents.open;
    const client = createClient({
      url: `${stack.url}/graphql/stream`,
      singleConnection: true,
      headers: { authorization: `Bearer ${admin}` },
      retryAttempts: 0,
    });
    const iterator = client.iterate<{ serviceEvents: Event }>({ query: SUBSCRIPTION });
    const first = iterator.next();
    await waitFor(() => stack.app.services.serviceEvents.open === open + 1, 10_000);
    stack.app.services.serviceEvents.publish({ type: 'cache', service: 'nps', from: null, to: null });
    expect((await first).value?.data?.serviceEvents).toMatchObject({ type: 'cache', service: 'nps', replica: 'replica-one' });
    await iterator.return?.();
    await waitFor(() => stack.app.services.serviceEvents.open === open, 10_000);
    const query = await client.iterate({ query: '{ __typename }' }).next();
    expect(query.value?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST' });
    client.dispose();

    const userClient = createClient({
      url: `${stack.url}/graphql/stream`,
      singleConnection: true,
      headers: { authorization: `Bearer ${await stack.token('u1')}` },
      retryAttempts: 0,
    });
    const refused = await userClient.iterate({ query: SUBSCRIPTION }).next();
    expect(refused.value?.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    userClient.dispose();
  });

  it('clients that hang up leave nothing behind (200 connect/disconnect cycles over sockets)', async () => {
    sub.close();
    await waitFor(() => stack.app.services.serviceEvents.open === 0, 10_000);
    for (let i = 0; i < 200; i++) {
      const s = await subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${admin}` } });
      s.close();
    }
    await waitFor(() => stack.app.services.serviceEvents.open === 0, 15_000, 50, 'every slot given back');
    const metrics = await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(await metrics.text()).toMatch(/^gateway_subscriptions_open 0$/m);
  });
});

describe('serviceEvents at shutdown', () => {
  it('close() ends open streams with complete instead of waiting out the grace period', async () => {
    const stack = await startStack({ env: { SHUTDOWN_GRACE_PERIOD: '60000' }, logLevel: 'warn' });
    const admin = await stack.token('u2', 'admin');
    const subs = await Promise.all(
      [1, 2].map(() => subscribeSse<Result>(`${stack.url}/graphql`, SUBSCRIPTION, { headers: { authorization: `Bearer ${admin}` } })),
    );
    await waitFor(() => stack.app.services.serviceEvents.open === 2, 10_000);
    const started = performance.now();
    await stack.close();
    expect(performance.now() - started).toBeLessThan(20_000); // far from the 60 s grace period
    for (const sub of subs) {
      await sub.ended;
      expect(sub.messages.at(-1)?.event).toBe('complete');
    }
  }, 60_000);
});
