import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { RateLimits } from '../../src/security/index.js';
import { TEST_JWT_SECRET } from '../support/stack.js';

const base = {
  JWT_SECRET: TEST_JWT_SECRET,
  AUTH_SERVICE_URL: 'http://127.0.0.1:1',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:1',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:1',
  NPS_SERVICE_URL: 'http://127.0.0.1:1',
  RATE_LIMIT_MAX: '2',
};

/** The limiter store. A Redis outage neither opens the gates nor refuses everyone. */
describe('security: rate-limit store', () => {
  it('counts in memory without Redis', async () => {
    const limits = new RateLimits({ config: loadConfig(base), logger: pino({ level: 'silent' }) });
    expect((await limits.consume(limits.request, 'p:a')).allowed).toBe(true);
    expect((await limits.consume(limits.request, 'p:a')).allowed).toBe(true);
    const third = await limits.consume(limits.request, 'p:a');
    expect(third).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
    expect(third.resetSeconds).toBeGreaterThan(0);
    expect((await limits.consume(limits.request, 'p:b')).allowed).toBe(true);
    await limits.close();
  });

  it('falls back to counting in memory while Redis is unreachable', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const limits = new RateLimits({ config: loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:1' }), logger });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limits.consume(limits.request, 'p:x')).allowed);
    expect(results).toEqual([true, true, false]);
    await vi.waitFor(() => expect(lines.some((l) => /Redis/.test(String(l.msg)))).toBe(true), { timeout: 5000 });
    await limits.close();
  });

  it('RATE_LIMIT_RULES are validated with one clear message', () => {
    expect(() => loadConfig({ ...base, RATE_LIMIT_RULES: 'GET /api/x=abc' })).toThrow(/RATE_LIMIT_RULES: "GET \/api\/x=abc" must be/);
    const config = loadConfig({ ...base, RATE_LIMIT_RULES: 'POST /api/comments=5/10000, /api/nps=7, Mutation.forceSync=1' });
    expect(config.rateLimit.rules).toEqual([
      { method: 'POST', path: '/api/comments', max: 5, windowMs: 10000 },
      { path: '/api/nps', max: 7 },
      { field: 'Mutation.forceSync', max: 1 },
    ]);
  });
});
