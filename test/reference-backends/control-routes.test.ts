import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_FAULTS, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, getJson, postJson } from './helpers.js';

let backends: ReferenceBackends;
let base: string;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, version: '1.2.3', latencyMs: 0 });
  base = backends.comment.url;
});
afterAll(() => backends.close());

describe('control routes over HTTP', () => {
  it('GET and POST /__control/faults read and change the faults', async () => {
    expect((await getJson(`${base}/__control/faults`)).body).toEqual({ ...BASE_FAULTS, version: '1.2.3' });
    const changed = await postJson(`${base}/__control/faults`, { failStatus: 502, failCount: 1, version: null });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ failStatus: 502, failCount: 1, version: null });
    expect(backends.comment.faults.current).toEqual(changed.body);
    expect((await getJson(`${base}/api/comments?userId=u1`)).status).toBe(502);
    expect((await getJson(`${base}/api/comments?userId=u1`)).status).toBe(200);
  });

  it('validates the faults: unknown key, wrong type or malformed JSON → 400', async () => {
    for (const bad of [{ hang: 'yes' }, { nope: 1 }, { failStatus: 200 }, { latencyMs: 1.5 }, { version: 'a\nb' }, [1]]) {
      const { status, body } = await postJson(`${base}/__control/faults`, bad);
      expect(status, JSON.stringify(bad)).toBe(400);
      expect(body.error).toBe('invalid_faults');
    }
    const malformed = await getJson(`${base}/__control/faults`, { method: 'POST', body: '{' });
    expect(malformed.body.error).toBe('invalid_json');
  });

  it('GET /__control/requests lists what was received (never control calls), DELETE clears it', async () => {
    await getJson(`${base}/__control/requests`, { method: 'DELETE' });
    await getJson(`${base}/api/comments?userIds=u1,u2&limit=2`, { headers: { 'x-request-id': 'req-1' } });
    await postJson(`${base}/api/comments`, { body: 'hi' }, { 'x-user-id': 'u9' });
    const { body } = await getJson(`${base}/__control/requests`);
    expect(body.count).toBe(2);
    expect(body.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/comments',
      url: '/api/comments?userIds=u1,u2&limit=2',
      query: { userIds: 'u1,u2', limit: '2' },
      signatureValid: null,
    });
    expect(body.requests[0].headers['x-request-id']).toBe('req-1');
    expect(typeof body.requests[0].at).toBe('number');
    expect(body.requests[1]).toMatchObject({ method: 'POST', path: '/api/comments' });
    expect(body.requests[1].headers['x-user-id']).toBe('u9');
    expect(backends.comment.requests.count((r) => r.method === 'POST')).toBe(1);

    expect((await getJson(`${base}/__control/requests`, { method: 'DELETE' })).body).toEqual({ cleared: 2 });
    expect(backends.comment.requests.all()).toEqual([]);
  });

  it('POST /__control/reset restores faults, log and data', async () => {
    await postJson(`${base}/__control/faults`, { unhealthy: true });
    await postJson(`${base}/api/comments`, { body: 'to be forgotten' }, { 'x-user-id': 'u1' });
    const { status, body } = await postJson(`${base}/__control/reset`, {});
    expect(status).toBe(200);
    expect(body.faults).toEqual({ ...BASE_FAULTS, version: '1.2.3' });
    expect(backends.comment.requests.count()).toBe(0);
    const latest = await getJson(`${base}/api/comments?userId=u1&limit=1`);
    expect(latest.body.comments[0].body).not.toBe('to be forgotten');
  });

  it('answers 404 and 405 on unknown control routes', async () => {
    expect((await getJson(`${base}/__control/nothing`)).status).toBe(404);
    expect((await getJson(`${base}/__control/reset`)).status).toBe(405);
  });

  it('keeps the log bounded to the last 10 000 requests', async () => {
    const { RingRequestLog } = await import('../../reference-backends/request-log.js');
    const log = new RingRequestLog(3);
    for (let i = 0; i < 5; i++)
      log.push({ method: 'GET', path: `/${i}`, url: `/${i}`, query: {}, headers: {}, at: i, signatureValid: null });
    expect(log.all().map((r) => r.path)).toEqual(['/2', '/3', '/4']);
    expect(log.count((r) => r.at > 2)).toBe(2);
  });
});
