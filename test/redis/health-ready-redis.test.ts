import { afterAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { waitFor } from '../support/kit.js';
import { freePort } from '../../bench/free-port.js';
import { redisRequired, TestRedis } from '../support/redis-server.js';
import { startStack, type Stack } from '../support/stack.js';

// A Redis server of its own on a free port, which this test stops and starts again. It needs the
// redis-server binary (CI installs it); with REQUIRE_REDIS=1 a missing binary fails instead of skipping.
const suite = redisRequired ? describe : describe.skip;

suite('/health/ready names the state of Redis (gateway.md)', () => {
  let redis: TestRedis | undefined;
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.close();
    await redis?.stop();
  });

  const redisUpGauge = async (stack: Stack) => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    return /^gateway_redis_up (\d)$/m.exec(text)?.[1];
  };
  const ready = async (stack: Stack) => {
    const res = await fetch(`${stack.url}/health/ready`);
    return { status: res.status, body: (await res.json()) as { status: string; redis: string } };
  };

  it('"off" without REDIS_URL', async () => {
    const stack = await startStack();
    stacks.push(stack);
    expect(await ready(stack)).toEqual({ status: 200, body: { status: 'ready', redis: 'off' } });
    expect(await redisUpGauge(stack)).toBeUndefined();
  });

  it('"up", then "down" (still 200, still serving) while Redis is stopped, then "up" again without a restart', async () => {
    redis = await TestRedis.start();
    const stack = await startStack({ env: { REDIS_URL: redis.url } });
    stacks.push(stack);
    // The rate limiter connects in the background: up once every client has connected.
    await waitFor(async () => (await ready(stack)).body.redis === 'up', 10_000, 50, 'redis reported up');
    expect(await ready(stack)).toEqual({ status: 200, body: { status: 'ready', redis: 'up' } });
    expect(await redisUpGauge(stack)).toBe('1');

    await redis.stop();
    await waitFor(async () => (await ready(stack)).body.redis === 'down', 15_000, 50, 'redis reported down');
    expect(await redisUpGauge(stack)).toBe('0');
    expect((await ready(stack)).status).toBe(200);
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data?.userDashboard?.user.name).toBe('Ada Lovelace');

    await redis.restart();
    await waitFor(async () => (await ready(stack)).body.redis === 'up', 20_000, 100, 'redis reported up again');
  });

  it('a gateway started while Redis is down serves, says "down", and uses Redis once it comes', async () => {
    const port = await freePort();
    const stack = await startStack({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    stacks.push(stack);
    expect(await ready(stack)).toEqual({ status: 200, body: { status: 'ready', redis: 'down' } });
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data?.userDashboard?.user.name).toBe('Ada Lovelace');
    const late = await TestRedis.start(port);
    try {
      await waitFor(async () => (await ready(stack)).body.redis === 'up', 20_000, 100, 'redis reported up');
    } finally {
      await late.stop();
    }
  });
});
