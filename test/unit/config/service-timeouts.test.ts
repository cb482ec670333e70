import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const BASE = {
  JWT_SECRET: 'a-jwt-secret-that-is-at-least-32-characters-long',
  AUTH_SERVICE_URL: 'http://127.0.0.1:4001',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:4002',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:4003',
  NPS_SERVICE_URL: 'http://127.0.0.1:4004',
};

/** One budget per service (`<NAME>_SERVICE_TIMEOUT`), ORCHESTRATION_TIMEOUT when unset. */
describe('config: per-service call budgets', () => {
  it('unset: every service gets ORCHESTRATION_TIMEOUT (or the profile default)', () => {
    const dev = loadConfig(BASE);
    for (const s of Object.values(dev.services)) expect(s.timeoutMs).toBe(5000);
    const prod = loadConfig({ ...BASE, NODE_ENV: 'production' });
    for (const s of Object.values(prod.services)) expect(s.timeoutMs).toBe(10_000);
    const set = loadConfig({ ...BASE, ORCHESTRATION_TIMEOUT: '1234' });
    for (const s of Object.values(set.services)) expect(s.timeoutMs).toBe(1234);
  });

  it('set: that service alone gets its own budget', () => {
    const c = loadConfig({
      ...BASE,
      ORCHESTRATION_TIMEOUT: '2000',
      AUTH_SERVICE_TIMEOUT: '8000',
      COMMENT_SERVICE_TIMEOUT: '300',
      INDUSTRY_SERVICE_TIMEOUT: '4000',
      NPS_SERVICE_TIMEOUT: '',
    });
    expect(c.services.auth).toEqual({ url: BASE.AUTH_SERVICE_URL, timeoutMs: 8000 });
    expect(c.services.comment.timeoutMs).toBe(300);
    expect(c.services.industry.timeoutMs).toBe(4000);
    // An empty variable means unset.
    expect(c.services.nps.timeoutMs).toBe(2000);
    expect(c.orchestration.timeoutMs).toBe(2000);
  });

  it('passthrough: PASSTHROUGH_TIMEOUT, when set, is the override; unset, there is none (the service budget applies)', () => {
    expect(loadConfig({ ...BASE, COMMENT_SERVICE_TIMEOUT: '300' }).passthrough.timeoutOverrideMs).toBeUndefined();
    const c = loadConfig({ ...BASE, COMMENT_SERVICE_TIMEOUT: '300', PASSTHROUGH_TIMEOUT: '7000' });
    expect(c.passthrough.timeoutOverrideMs).toBe(7000);
  });

  it('bad values are named, all at once', () => {
    let err: unknown;
    try {
      loadConfig({ ...BASE, AUTH_SERVICE_TIMEOUT: 'soon', NPS_SERVICE_TIMEOUT: '0', COMMENT_SERVICE_TIMEOUT: '-5' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).issues.map((i) => i.variable).sort();
    expect(vars).toEqual(['AUTH_SERVICE_TIMEOUT', 'COMMENT_SERVICE_TIMEOUT', 'NPS_SERVICE_TIMEOUT']);
    expect((err as ConfigError).message).toMatch(/AUTH_SERVICE_TIMEOUT: must be a whole number/);
  });
});
