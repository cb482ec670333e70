/**
 * Ad-hoc: throughput of three gateway replicas on one Redis, with Redis up, hung (SIGSTOP), down
 * (killed) and back (issue 15: it used to fall from ~1650 to ~600 rps while Redis was down). Not part of
 * `npm run bench`.
 *
 *   npx tsx bench/replicas-redis.ts [--seconds 8] [--connections 12]
 *
 * Starts a redis-server of its own, the reference backends in this process and three gateway
 * processes from src/ (tsx: slower than the built `npm start`, the same for every phase), then
 * per phase drives dashboards for 40 rotating users and principals over the three replicas at
 * once with autocannon, one instance per replica, and prints requests per second, p99 and
 * failures (non-2xx, errors, GraphQL errors or degraded parts).
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { print } from 'graphql';
import { DashboardDocument } from '../test/generated/graphql.js';
import { waitFor } from '../test/support/kit.js';
import { TestRedis } from '../test/support/redis-server.js';
import { startReplicas, type Replica } from '../test/support/replicas.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, connections: { type: 'string', default: '12' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const query = print(DashboardDocument);

const redis = await TestRedis.start();
const cluster = await startReplicas({
  redisUrl: redis.url,
  env: { FEATURE_SYNC_MONITORING: 'false', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000' },
});
const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => cluster.token(`bench-${i}`, 'admin')));

async function phase(name: string): Promise<void> {
  const run = (replica: Replica, offset: number) => {
    let n = offset;
    let bad = 0;
    const instance = autocannon({
      url: `${replica.url}/graphql`,
      connections: Math.max(1, Math.round(connections / 3)),
      duration: seconds,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (req: autocannon.Request) => {
            const i = n++ % 40;
            return {
              ...req,
              headers: { ...req.headers, authorization: `Bearer ${tokens[i]}` },
              body: JSON.stringify({ query, variables: { userId: `u${i + 1}` } }),
            };
          },
          onResponse: (status: number, body: string) => {
            if (status !== 200 || body.includes('"errors"') || !body.includes('"degraded":[]')) bad++;
          },
        },
      ],
    });
    return instance.then((result) => ({ result, bad }));
  };
  const results = await Promise.all(cluster.replicas.map((r, i) => run(r, i * 13)));
  const rps = results.reduce((sum, { result }) => sum + result.requests.average, 0);
  const p99 = Math.max(...results.map(({ result }) => result.latency.p99));
  const failed = results.reduce((sum, { result, bad }) => sum + bad + result.non2xx + result.errors + result.timeouts, 0);
  const total = results.reduce((sum, { result }) => sum + result.requests.total, 0);
  console.log(
    `${name.padEnd(12)} ${rps.toFixed(0).padStart(6)} rps   p99 ${String(p99).padStart(4)} ms   ${total} requests, ${failed} failed`,
  );
}

const redisUp = async (want: number) => {
  for (const r of cluster.replicas) await waitFor(async () => (await r.metric('gateway_redis_up')) === want, 15_000, 100);
};

try {
  await phase('warm-up');
  await phase('redis up');
  // Hung first (SIGSTOP: connections open, no answers), measured from the moment it stops answering.
  redis.pause();
  await phase('redis hung');
  await redis.stop();
  await redisUp(0);
  await phase('redis down');
  await redis.restart();
  const t0 = Date.now();
  await redisUp(1);
  console.log(`back on Redis ${Date.now() - t0} ms after it returned`);
  await phase('redis back');
} finally {
  await cluster.close();
  await redis.stop();
}
