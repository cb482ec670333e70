import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayCache, type CacheKey } from '../../../src/cache/index.js';

// No real Redis here: a refused port and a silent loopback server stand in for a Redis that is
// down or stuck. Whatever Redis does, a lookup must answer (a miss) and a write must not throw.
const key: CacheKey = { kind: 'user', id: '1', deps: [{ service: 'auth', version: '1.0.0' }] };

describe('GatewayCache when Redis fails', () => {
  const caches: GatewayCache[] = [];
  let server: Server | undefined;
  const sockets = new Set<Socket>();

  afterEach(async () => {
    for (const c of caches.splice(0)) await c.dispose();
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('unreachable: ready() rejects, the in-process tier answers at once, errors are logged not thrown', async () => {
    const warn = vi.fn();
    const logger = { warn } as unknown as import('pino').Logger;
    const cache = GatewayCache.create({ enabled: true, redisUrl: 'redis://127.0.0.1:1', logger, redis: { connectTimeoutMs: 300 } });
    caches.push(cache);
    await expect(cache.ready()).rejects.toThrow(/not reachable/);
    const started = Date.now();
    expect(await cache.get(key)).toEqual({ status: 'miss' });
    // Redis is known down (the breaker is open): writes and reads go to the replica's own tier.
    await expect(cache.set(key, 'v', 60_000)).resolves.toBeUndefined();
    expect(await cache.get(key)).toMatchObject({ status: 'fresh', value: 'v' });
    expect(await cache.getMany([key, key])).toMatchObject([{ status: 'fresh' }, { status: 'fresh' }]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(cache.stats).toMatchObject({ hits: 3, misses: 1, backend: 'redis' });
    expect(cache.redisConnected).toBe(false);
    expect(warn).toHaveBeenCalled();
    await expect(cache.clear()).rejects.toBeDefined();
  });

  it('stuck (accepts, never answers): a read gives up after commandTimeoutMs and misses', async () => {
    // Answers the client's handshake with +OK, then goes silent.
    let stuck = false;
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('data', (chunk: Buffer) => {
        if (stuck) return;
        const commands = chunk.toString('latin1').match(/(?:^|\r\n)\*\d+\r\n/g)?.length ?? 0;
        s.write('+OK\r\n'.repeat(commands));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const cache = GatewayCache.create({ enabled: true, redisUrl: `redis://127.0.0.1:${port}`, redis: { commandTimeoutMs: 100 } });
    caches.push(cache);
    await cache.ready();
    stuck = true;
    const started = Date.now();
    expect(await cache.get(key)).toEqual({ status: 'miss' });
    await cache.set(key, 'v', 60_000);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
