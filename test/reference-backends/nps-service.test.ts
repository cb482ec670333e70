import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seed, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, getJson, postJson } from './helpers.js';

let backends: ReferenceBackends;
let base: string;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  base = backends.nps.url;
});
afterEach(() => backends.resetAll());
afterAll(() => backends.close());

const byUser = (a: { userId: string }, b: { userId: string }) => a.userId.localeCompare(b.userId);

describe('nps service', () => {
  it('GET /api/nps/scores?userIds= answers each latest answer, omitting users without one', async () => {
    const { status, body } = await getJson(`${base}/api/nps/scores?userIds=u1,u2,u3,u7,nobody`);
    expect(status).toBe(200);
    expect(body.scores.map((s: { userId: string }) => s.userId)).not.toEqual(['u1', 'u2', 'u3']);
    expect([...body.scores].sort(byUser)).toEqual(['u1', 'u2', 'u3'].map((id) => seed.latestNps(id)));
    expect(body.scores.find((s: { userId: string }) => s.userId === 'u1').score).toBe(9);
    expect((await getJson(`${base}/api/nps/scores?userIds=${Array.from({ length: 101 }, (_, i) => `u${i + 1}`).join(',')}`)).status).toBe(
      400,
    );
    expect((await getJson(`${base}/api/nps/scores`)).status).toBe(400);
  });

  it('GET /api/nps/summary summarises the latest answers', async () => {
    const { body } = await getJson(`${base}/api/nps/summary`);
    expect(body).toEqual(seed.npsSummary());
    expect(body.nps).toBeGreaterThanOrEqual(-100);
    expect(body.nps).toBeLessThanOrEqual(100);
  });

  it('POST /api/nps/responses records an answer that becomes the latest', async () => {
    const before = seed.npsSummary();
    const created = await postJson(`${base}/api/nps/responses`, { score: 3 }, { 'x-user-id': 'u7' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ userId: 'u7', score: 3, respondedAt: expect.any(String) });
    expect((await getJson(`${base}/api/nps/scores?userIds=u7`)).body.scores).toEqual([created.body]);
    const after = (await getJson(`${base}/api/nps/summary`)).body;
    expect(after).toMatchObject({ responses: before.responses + 1, detractors: before.detractors + 1 });

    await postJson(`${base}/api/nps/responses`, { score: 0 }, { 'x-user-id': 'u1' });
    expect((await getJson(`${base}/api/nps/scores?userIds=u1`)).body.scores[0].score).toBe(0);
  });

  it('POST /api/nps/responses: 401 without x-user-id, 400 for a score that is not an integer 0..10', async () => {
    expect((await postJson(`${base}/api/nps/responses`, { score: 5 })).status).toBe(401);
    for (const score of [11, -1, 3.5, '5', null]) {
      const refused = await postJson(`${base}/api/nps/responses`, { score }, { 'x-user-id': 'u1' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    expect((await postJson(`${base}/api/nps/responses`, { score: 10 }, { 'x-user-id': 'u1' })).status).toBe(201);
  });
});
