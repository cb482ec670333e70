import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FAULTS, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, getJson, until } from './helpers.js';

let backends: ReferenceBackends;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
});
afterEach(() => backends.resetAll());
afterAll(() => backends.close());

const userUrl = () => `${backends.auth.url}/api/users/u1`;

describe('fault injection', () => {
  it('starts from the documented defaults', () => {
    expect(backends.auth.faults.current).toEqual(BASE_FAULTS);
    expect(() => backends.auth.faults.set({ latencyMs: -5 })).toThrow(/latencyMs/);
    expect(() => backends.auth.faults.set({ nope: true } as never)).toThrow(/unknown fault "nope"/);
  });

  it('latencyMs delays data requests but not /health', async () => {
    backends.auth.faults.set({ latencyMs: 150 });
    let started = performance.now();
    expect((await getJson(userUrl())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    started = performance.now();
    expect((await getJson(`${backends.auth.url}/health`)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(140);
  });

  it('failStatus with failCount fails the next N data requests, with Retry-After, then serves', async () => {
    backends.comment.faults.set({ failStatus: 503, failCount: 2, retryAfter: '7' });
    const url = `${backends.comment.url}/api/comments?userId=u1`;
    for (let i = 0; i < 2; i++) {
      const { status, headers, body } = await getJson(url);
      expect(status).toBe(503);
      expect(headers.get('retry-after')).toBe('7');
      expect(headers.get('x-shared-knowledge-version')).toBe('1.0.0');
      expect(body).toEqual({ error: 'injected', message: expect.any(String) });
    }
    expect((await getJson(url)).status).toBe(200);
    expect(backends.comment.faults.current).toMatchObject({ failStatus: null, failCount: null });
    expect((await getJson(`${backends.comment.url}/health`)).status).toBe(200);
  });

  it('failStatus without failCount fails until cleared', async () => {
    backends.industry.faults.set({ failStatus: 500 });
    for (let i = 0; i < 3; i++) expect((await getJson(`${backends.industry.url}/api/industries`)).status).toBe(500);
    backends.industry.faults.set({ failStatus: null });
    expect((await getJson(`${backends.industry.url}/api/industries`)).status).toBe(200);
  });

  it('reset destroys the connection without an answer', async () => {
    backends.auth.faults.set({ reset: true });
    await expect(fetch(userUrl())).rejects.toThrow(TypeError);
    expect(backends.auth.requests.count((r) => r.path === '/api/users/u1')).toBeGreaterThanOrEqual(1);
    backends.auth.faults.set({ reset: false });
    expect((await getJson(userUrl())).status).toBe(200);
  });

  it('hang never answers: the client times out', async () => {
    backends.nps.faults.set({ hang: true });
    await expect(fetch(`${backends.nps.url}/api/nps/summary`, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect((await getJson(`${backends.nps.url}/health`)).status).toBe(200);
  });

  it('a hung request is served once the fault is cleared', async () => {
    backends.nps.faults.set({ hang: true });
    const pending = getJson(`${backends.nps.url}/api/nps/summary`);
    await until(() => backends.nps.requests.count() === 1);
    backends.nps.faults.set({ hang: false });
    expect((await pending).status).toBe(200);
  });

  it('close() ends hanging requests and idle keep-alive sockets at once', async () => {
    const own = await startBackends({ jwtSecret: TEST_JWT_SECRET, faults: { auth: { hang: true, latencyMs: 60_000 } } });
    await getJson(`${own.industry.url}/api/industries`); // leaves an idle keep-alive socket
    const hanging = fetch(`${own.auth.url}/api/users/u1`);
    await until(() => own.auth.requests.count() === 1);
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(hanging).rejects.toThrow(TypeError);
    await own.close(); // idempotent
  });

  it('version null: no header and no version field', async () => {
    backends.industry.faults.set({ version: null });
    const health = await getJson(`${backends.industry.url}/health`);
    expect(health.body).toEqual({ status: 'healthy', service: 'industry' });
    expect(health.headers.has('x-shared-knowledge-version')).toBe(false);
    const status = await getJson(`${backends.industry.url}/api/shared-knowledge/status`);
    expect(status.body).not.toHaveProperty('version');
    const data = await getJson(`${backends.industry.url}/api/industries`);
    expect(data.headers.has('x-shared-knowledge-version')).toBe(false);
  });

  it('a version change shows everywhere at once and moves lastUpdated', async () => {
    backends.industry.faults.set({ version: '2.0.0' });
    const data = await getJson(`${backends.industry.url}/api/industries/i1`);
    expect(data.headers.get('x-shared-knowledge-version')).toBe('2.0.0');
    expect((await getJson(`${backends.industry.url}/health`)).body.sharedKnowledgeVersion).toBe('2.0.0');
    const status = (await getJson(`${backends.industry.url}/api/shared-knowledge/status`)).body;
    expect(status.version).toBe('2.0.0');
    expect(Date.now() - Date.parse(status.lastUpdated)).toBeLessThan(5_000);
  });

  it('unhealthy: /health answers 503 while data still flows', async () => {
    backends.comment.faults.set({ unhealthy: true });
    const { status, body } = await getJson(`${backends.comment.url}/health`);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'unhealthy', sharedKnowledgeVersion: '1.0.0' });
    expect((await getJson(`${backends.comment.url}/api/comments?userId=u1`)).status).toBe(200);
  });

  it('statusRoute false: the status route is a 404', async () => {
    backends.auth.faults.set({ statusRoute: false });
    expect((await getJson(`${backends.auth.url}/api/shared-knowledge/status`)).status).toBe(404);
  });

  it('health faults act on /health and the status route only', async () => {
    backends.auth.faults.set({ healthHang: true });
    await expect(fetch(`${backends.auth.url}/health`, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    await expect(fetch(`${backends.auth.url}/api/shared-knowledge/status`, { signal: AbortSignal.timeout(150) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect((await getJson(userUrl())).status).toBe(200);

    backends.auth.faults.set({ healthHang: false, healthLatencyMs: 120, failStatus: 500, reset: false });
    const started = performance.now();
    expect((await getJson(`${backends.auth.url}/health`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect((await getJson(`${backends.auth.url}/api/shared-knowledge/status`)).status).toBe(200);
  });

  it('faults.reset() returns to the configured defaults', () => {
    backends.auth.faults.set({ hang: true, version: null });
    expect(backends.auth.faults.reset()).toEqual(BASE_FAULTS);
  });
});
