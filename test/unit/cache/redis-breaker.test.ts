import { describe, expect, it } from 'vitest';
import { RedisBreaker } from '../../../src/cache/index.js';
import { sleep, waitFor } from '../../support/kit.js';
import { LogCapture } from '../../support/log-capture.js';

const never = () => new Promise<never>(() => undefined);

describe('RedisBreaker', () => {
  it('answers from the fallback at once after the first failure, until a probe answers; one log line per transition', async () => {
    const { lines, logger } = new LogCapture('info');
    let redisAnswers = false;
    const breaker = new RedisBreaker({ logger, timeoutMs: 50, probeIntervalMs: 20, replica: 'r9' });
    breaker.register(async () => {
      if (!redisAnswers) throw new Error('ECONNREFUSED');
    });
    const changes: boolean[] = [];
    breaker.onChange((up) => changes.push(up));

    expect(
      await breaker.run(
        async () => 'redis',
        () => 'memory',
      ),
    ).toBe('redis');
    // A hung command is cut at timeoutMs and answered by the fallback; the breaker opens.
    const started = performance.now();
    expect(await breaker.run(never, () => 'memory')).toBe('memory');
    expect(performance.now() - started).toBeLessThan(500);
    expect(breaker.up).toBe(false);
    // Now nothing is tried on Redis at all.
    let tried = false;
    expect(
      await breaker.run(
        async () => {
          tried = true;
          return 'redis';
        },
        () => 'memory',
      ),
    ).toBe('memory');
    expect(tried).toBe(false);
    breaker.trip(new Error('again')); // already open: no second line

    await sleep(100);
    expect(breaker.up).toBe(false); // the probe fails while Redis does not answer
    redisAnswers = true;
    await waitFor(() => breaker.up, 2000);
    expect(
      await breaker.run(
        async () => 'redis',
        () => 'memory',
      ),
    ).toBe('redis');
    expect(changes).toEqual([false, true]);
    expect(lines.map((l) => String(l.msg).split(':')[0])).toEqual(['redis down', 'redis back']);
    expect(lines[0]).toMatchObject({ replica: 'r9' });
    breaker.close();
  });

  it('a rejection that is an answer (not a failure) is rethrown and keeps it closed', async () => {
    const breaker = new RedisBreaker({ timeoutMs: 50 });
    const refused = new Error('no points left');
    await expect(
      breaker.run(
        () => Promise.reject(refused),
        () => 'memory',
        (err) => err !== refused,
      ),
    ).rejects.toBe(refused);
    expect(breaker.up).toBe(true);
    breaker.close();
  });
});
