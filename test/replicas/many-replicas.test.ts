import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { sleep, waitFor } from '../support/kit.js';
import { redisRequired, TestRedis } from '../support/redis-server.js';
import { startReplicas, type Replica, type Replicas } from '../support/replicas.js';

/**
 * gateway.md "Running many replicas", proven with three real gateway processes (`src/main.ts`),
 * one redis-server of the test's own and the reference backends; requests go to the replicas
 * in turn. Needs the redis-server binary (REQUIRE_REDIS=1 fails instead of skipping without it).
 */
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** How many of a replica's waits on Redis took over 100 and over 250 ms (one scrape). */
async function waitsOver250(x: Replica): Promise<{ waits: number; over100: number; over250: number }> {
  const [waits = 0, under250 = 0, under100 = 0] = await x.metrics(
    'gateway_redis_wait_seconds_count',
    'gateway_redis_wait_seconds_bucket{le="0.25"}',
    'gateway_redis_wait_seconds_bucket{le="0.1"}',
  );
  return { waits, over100: waits - under100, over250: waits - under250 };
}

/** A loopback webhook receiver that keeps every alert POSTed to it. */
async function startWebhookReceiver(): Promise<{ url: string; events: Array<Record<string, unknown>>; server: Server }> {
  const events: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      events.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/alerts`, events, server };
}

(redisRequired ? describe : describe.skip)('many replicas over one Redis (gateway.md "Running many replicas")', () => {
  let redis: TestRedis;
  let cluster: Replicas;
  let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let r: Replica[];
  // Each run's backends report a version of their own: nothing another run left in Redis answers.
  const version = `1.0.0-replicas.${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    redis = await TestRedis.start();
    webhook = await startWebhookReceiver();
    cluster = await startReplicas({
      redisUrl: redis.url,
      version,
      env: {
        FEATURE_SYNC_MONITORING: 'true',
        SHARED_KNOWLEDGE_VERSION: version,
        SYNC_CHECK_INTERVAL: '1000',
        SYNC_AUTO_UPDATE: 'false',
        SYNC_ALERT_WEBHOOK_URL: webhook.url,
        RATE_LIMIT_RULES: 'Query.industries=9/60000',
      },
    });
    r = cluster.replicas;
    admin = await cluster.token('replicas-admin', 'admin');
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.stop();
    webhook?.server.close();
  });

  it('identical answers from every replica; a miss on one is a hit on the next (dashboards, entities, whole responses)', async () => {
    // Every replica has learned the services' versions from its sync monitor's first round (entries
    // are keyed by them) and is on Redis.
    type Sync = { syncStatus: { services: Array<{ version: string | null }> } };
    for (const x of r) {
      await waitFor(
        async () =>
          (await x.graphql<Sync>('{ syncStatus { services { version } } }', {}, admin)).body.data?.syncStatus.services.every(
            (s) => s.version === version,
          ) === true,
        10_000,
        100,
        `${x.id} knows every version`,
      );
      await waitFor(async () => (await x.metric('gateway_redis_up')) === 1, 10_000, 100, `${x.id} on Redis`);
    }
    cluster.clearBackendLog();
    const first = await r[0]!.graphql(DashboardDocument, { userId: 'u1' }, admin);
    expect(first.body.errors).toBeUndefined();
    expect(cluster.backendRequests()).toBeGreaterThanOrEqual(4);

    // Whole response: the very bytes r1 sent (generatedAt included) from r2 and r3, no backend reached.
    cluster.clearBackendLog();
    for (const x of [r[1]!, r[2]!]) {
      const hits = (await x.metric('gateway_graphql_response_cache_total{result="hit"}')) ?? 0;
      expect(await x.graphql(DashboardDocument, { userId: 'u1' }, admin)).toEqual(first);
      expect(await x.metric('gateway_graphql_response_cache_total{result="hit"}')).toBe(hits + 1);
    }
    expect(cluster.backendRequests()).toBe(0);

    // Dashboard parts and entities: another caller (no whole-response hit) is answered from the entries r1 cached.
    const other = await cluster.token('replicas-other', 'admin');
    const fromR2 = await r[1]!.graphql(DashboardDocument, { userId: 'u1' }, other);
    const { generatedAt: _a, ...a } = first.body.data!.userDashboard!;
    const { generatedAt: _b, ...b } = fromR2.body.data!.userDashboard!;
    expect(b).toEqual(a);
    expect(cluster.backendRequests()).toBe(0);

    const users = '{ users(ids: ["u11", "u12"]) { id name comments(limit: 2) { id } } }';
    const onR3 = await r[2]!.graphql(users, {}, admin);
    expect(cluster.backendRequests()).toBe(2); // users + comments, once
    cluster.clearBackendLog();
    expect(await r[0]!.graphql(users, {}, other)).toEqual(onR3);
    expect(await r[1]!.graphql(users, {}, admin)).toEqual(onR3);
    expect(cluster.backendRequests()).toBe(0);
  });

  it('a query registered on one replica runs by its hash alone on the others', async () => {
    const query = '{ industries { id name } }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const user = await cluster.token('replicas-pq', 'admin');
    expect((await r[1]!.graphql('', {}, user, ext)).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await r[0]!.graphql(query, {}, user, ext);
    expect(registered.body.errors).toBeUndefined();
    for (const x of [r[1]!, r[2]!]) expect((await x.graphql('', {}, user, ext)).body).toEqual(registered.body);
  });

  it('rate-limit counters are shared: 9 requests over three replicas count as 9', async () => {
    const user = await cluster.token('replicas-rl', 'user');
    for (let i = 0; i < 9; i++) {
      const res = await r[i % 3]!.graphql('{ industries { id } }', {}, user);
      expect(res.body.errors, `request ${i + 1} on ${r[i % 3]!.id}`).toBeUndefined();
    }
    for (const x of r) expect((await x.graphql('{ industries { id } }', {}, user)).body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('a cache clear on one replica is in effect on every replica within one second', async () => {
    const user = await cluster.token('replicas-clear', 'admin');
    await r[0]!.graphql(DashboardDocument, { userId: 'u5' }, user);
    cluster.clearBackendLog();
    await r[1]!.graphql(DashboardDocument, { userId: 'u5' }, user);
    expect(cluster.backendRequests()).toBe(0);

    const cleared = await fetch(`${r[2]!.url}/api/gateway/cache?service=comment`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(cleared.status).toBe(200);
    expect(await cleared.json()).toMatchObject({ shared: 'cleared' });
    const clearedAt = Date.now();
    // On every replica: the comment part is fetched again (one comment call each at most), whole responses are gone.
    for (const x of r) {
      cluster.clearBackendLog();
      const res = await x.graphql(DashboardDocument, { userId: 'u5' }, user);
      expect(res.body.errors).toBeUndefined();
      expect(cluster.backendRequests('comment'), x.id).toBeGreaterThanOrEqual(x === r[0] ? 1 : 0);
      if (x === r[0]) expect(cluster.backendRequests('auth')).toBe(0); // only the comment part was cleared
    }
    expect(Date.now() - clearedAt).toBeLessThan(1000 + 2000); // generous: three dashboards on a loaded machine

    const gql = await r[0]!.graphql('mutation { clearCache }', {}, admin);
    expect(gql.body.data).toEqual({ clearCache: expect.any(Number) });
    expect(gql.body.extensions?.cacheClear).toMatchObject({ shared: 'cleared' });
    cluster.clearBackendLog();
    await r[1]!.graphql(DashboardDocument, { userId: 'u5' }, user);
    expect(cluster.backendRequests()).toBeGreaterThanOrEqual(4);
  });

  it('a sync state change sends one webhook alert, not one per replica; every replica reports the state', async () => {
    const alertsOf = (state: string) =>
      webhook.events.filter((e) => e.type === 'sync.state_changed' && e.service === 'nps' && e.state === state);
    cluster.backends.nps.faults.set({ version: '9.9.9' });
    const stateOn = async (x: Replica) =>
      (
        (await x.graphql('{ syncStatus { services { name state } } }', {}, admin)).body.data as {
          syncStatus: { services: Array<{ name: string; state: string }> };
        }
      ).syncStatus.services.find((s) => s.name === 'nps')?.state;
    for (const x of r) await waitFor(async () => (await stateOn(x)) === 'out_of_sync', 15_000, 100, `${x.id} sees nps out_of_sync`);
    // Every replica has seen the transition; a second delivery would arrive well within this.
    await sleep(1500);
    expect(alertsOf('out_of_sync')).toHaveLength(1);
    for (const x of r) expect(x.logs('sync state changed').filter((l) => l.service === 'nps')).toHaveLength(1);

    cluster.backends.nps.faults.set({ version });
    for (const x of r) await waitFor(async () => (await stateOn(x)) === 'in_sync', 15_000, 100, `${x.id} sees nps in_sync`);
    await sleep(1500);
    expect(alertsOf('in_sync')).toHaveLength(1);
  });

  it('Redis hangs, then dies mid-load: no request fails or waits on it; each replica says so once, then uses it again within 10 s of its return', async () => {
    const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => cluster.token(`load-${i}`, 'admin')));
    const failures: string[] = [];
    const latencies: Array<{ ms: number; phase: string }> = [];
    let phase = 'up';
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const x = r[i % 3]!;
        const started = performance.now();
        const res = await x
          .graphql(DashboardDocument, { userId: `u${(i % 20) + 1}` }, tokens[i % tokens.length]!)
          .catch((err: unknown) => ({
            status: 0,
            body: { errors: [{ message: String(err) }], data: undefined },
          }));
        latencies.push({ ms: performance.now() - started, phase });
        const dash = (res.body.data as { userDashboard?: { degraded: string[] } } | undefined)?.userDashboard;
        if (res.status !== 200 || res.body.errors || !dash || dash.degraded.length > 0)
          failures.push(`${x.id} ${phase}: ${res.status} ${JSON.stringify(res.body.errors ?? dash?.degraded)}`);
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    await sleep(1500);

    const overBefore = await Promise.all(r.map((x) => waitsOver250(x)));
    // A Redis that stops answering (its connections stay open): the hardest case for waits.
    phase = 'hung';
    redis.pause();
    await sleep(2500);
    phase = 'down';
    await redis.stop();
    for (const x of r) {
      await waitFor(async () => (await x.metric('gateway_redis_up')) === 0, 5000, 100, `${x.id} gateway_redis_up 0`);
      const ready = await fetch(`${x.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ redis: 'down' });
    }
    await sleep(1500);

    phase = 'back';
    await redis.restart();
    const backAt = Date.now();
    for (const x of r) await waitFor(async () => (await x.metric('gateway_redis_up')) === 1, 10_000, 100, `${x.id} back on Redis`);
    const recoveredMs = Date.now() - backAt;
    await sleep(1000);
    stop = true;
    await load;

    const slowest = (p: string) => Math.max(0, ...latencies.filter((l) => l.phase === p).map((l) => l.ms));
    const count = (p: string) => latencies.filter((l) => l.phase === p).length;
    console.info(
      `Redis fault under load: ${latencies.length} dashboards; slowest up ${slowest('up').toFixed(0)} ms (${count('up')}), hung ${slowest('hung').toFixed(0)} ms (${count('hung')}), ` +
        `down ${slowest('down').toFixed(0)} ms (${count('down')}), back ${slowest('back').toFixed(0)} ms (${count('back')}); all replicas back on Redis ${recoveredMs} ms after it returned`,
    );
    expect(failures).toEqual([]);
    // No request hangs on Redis. End to end this is only a sanity bound (a whole request on a
    // shared 2-core machine running 3 replicas, the backends and other test files can take a
    // second or more for reasons of its own); the 250 ms rule is checked below where it happens,
    // on each replica's own measure of its waits on Redis.
    expect(slowest('hung'), 'slowest request while Redis hung').toBeLessThan(3000);
    expect(slowest('down'), 'slowest request while Redis was down').toBeLessThan(3000);
    expect(latencies.filter((l) => l.phase === 'down').length).toBeGreaterThan(20);
    // Measured where it happens: each replica's waits on Redis (its breaker's histogram). The
    // breaker cuts a wait at 150 ms and then stops asking, so from the hang on at most the commands
    // in flight at that moment wait that long. The histogram measures wall time, which on a
    // machine with more runnable processes than cores includes time the replica was not
    // scheduled at all (seen with Redis healthy too, reported as `before`), hence a tolerance of
    // a few; with the old 500 ms per-command timeout every command of the hang waits past 250 ms.
    for (const [i, x] of r.entries()) {
      const { waits, over100, over250 } = await waitsOver250(x);
      const during = over250 - overBefore[i]!.over250;
      const cutOff = over100 - overBefore[i]!.over100;
      console.info(
        `${x.id}: ${waits} waits on Redis, ${over100} over 100 ms, ${over250} over 250 ms (${overBefore[i]!.over250} before the fault)`,
      );
      expect(waits).toBeGreaterThan(100);
      expect(during, `${x.id}: waits on Redis over 250 ms during the fault`).toBeLessThanOrEqual(3);
      // A breaker, not a timeout per command: only the commands in flight when Redis hung (about
      // two per replica here) were cut off; a per-command timeout cuts every command of the hang.
      expect(cutOff, `${x.id}: waits on Redis over 100 ms during the fault`).toBeLessThanOrEqual(10);
    }
    expect(recoveredMs).toBeLessThan(10_000);
    for (const x of r) {
      // Once per transition: down and back alternate, from down to back. (On a loaded machine a
      // Redis answer slower than the 150 ms bound may open the breaker once more, and a probe
      // closes it within a second: still one line each.)
      const transitions = () => x.logs(/^redis (down|back)/).map((l) => String(l.msg).slice(0, 10));
      await waitFor(() => transitions().length % 2 === 0, 5000, 50, `${x.id} back on Redis: ${transitions().join(', ')}`);
      expect(transitions().length, `${x.id}: ${transitions().join(', ')}`).toBeGreaterThanOrEqual(2);
      transitions().forEach((t, i) =>
        expect(t, `${x.id} transition ${i}: ${transitions().join(', ')}`).toBe(i % 2 === 0 ? 'redis down' : 'redis back'),
      );
      expect(x.logs(/^redis down/)[0]).toMatchObject({ replica: x.id, level: 40 });
    }

    // Back on Redis: a miss on one replica is a hit on the next again (tried on a few users: a
    // Redis answer slower than the bound on this busy machine may send one request to the services).
    const user = await cluster.token('after-redis', 'admin');
    const sharedAgain = async (userId: string) => {
      await r[0]!.graphql(DashboardDocument, { userId }, user);
      cluster.clearBackendLog();
      await r[1]!.graphql(DashboardDocument, { userId }, user);
      return cluster.backendRequests() === 0;
    };
    const tries = [];
    for (const userId of ['u21', 'u22', 'u23']) {
      tries.push(await sharedAgain(userId));
      if (tries.at(-1)) break;
    }
    expect(tries).toContain(true);
  });

  it('a clear while Redis is down says plainly what it could and could not clear', async () => {
    await redis.stop();
    await waitFor(async () => (await r[0]!.metric('gateway_redis_up')) === 0, 5000);
    const res = await fetch(`${r[0]!.url}/api/gateway/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { shared: string; message: string; local: number };
    expect(body).toMatchObject({ shared: 'unreachable', local: expect.any(Number) });
    expect(body.message).toMatch(/NOT cleared/);
    const gql = await r[0]!.graphql('mutation { clearCache }', {}, admin);
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.extensions?.cacheClear).toMatchObject({ shared: 'unreachable' });
    await redis.restart();
  });
});
