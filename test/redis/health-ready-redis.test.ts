import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { waitFor } from '../support/kit.js';
import { startStack, type Stack } from '../support/stack.js';

// A Redis server of its own on a free port, which this test stops and starts again. It needs the
// redis-server binary (CI installs it); with REQUIRE_REDIS=1 a missing binary fails instead of skipping.
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const suite = hasRedisServer || process.env.REQUIRE_REDIS === '1' ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function stopRedis(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

suite('/health/ready names the state of Redis (gateway.md)', () => {
  let redis: ChildProcess | undefined;
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.close();
    await stopRedis(redis);
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
    const port = await freePort();
    redis = startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    await waitFor(
      () =>
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG',
      10_000,
      50,
      'redis-server up',
    );
    const stack = await startStack({ env: { REDIS_URL: url } });
    stacks.push(stack);
    // The rate limiter connects in the background: up once every client has connected.
    await waitFor(async () => (await ready(stack)).body.redis === 'up', 10_000, 50, 'redis reported up');
    expect(await ready(stack)).toEqual({ status: 200, body: { status: 'ready', redis: 'up' } });
    expect(await redisUpGauge(stack)).toBe('1');

    await stopRedis(redis);
    await waitFor(async () => (await ready(stack)).body.redis === 'down', 15_000, 50, 'redis reported down');
    expect(await redisUpGauge(stack)).toBe('0');
    expect((await ready(stack)).status).toBe(200);
    const token = await stack.token('u1');
    const { body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(body.data?.userDashboard?.user.name).toBe('Ada Lovelace');

    redis = startRedis(port);
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
    const late = startRedis(port);
    try {
      await waitFor(async () => (await ready(stack)).body.redis === 'up', 20_000, 100, 'redis reported up');
    } finally {
      await stopRedis(late);
    }
  });
});
