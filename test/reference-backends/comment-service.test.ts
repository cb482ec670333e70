import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seed, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, byId, getJson, postJson } from './helpers.js';

let backends: ReferenceBackends;
let base: string;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  base = backends.comment.url;
});
afterEach(() => backends.resetAll());
afterAll(() => backends.close());

describe('comment service', () => {
  it('GET /api/comments?userId= answers the newest 10 by default, newest first', async () => {
    const { status, body } = await getJson(`${base}/api/comments?userId=u1`);
    expect(status).toBe(200);
    expect(body.comments).toEqual(seed.latestComments('u1', 10));
    const three = await getJson(`${base}/api/comments?userId=u1&limit=3`);
    expect(three.body.comments).toEqual(seed.latestComments('u1', 3));
    const all = await getJson(`${base}/api/comments?userId=u1&limit=100`);
    expect(all.body.comments).toEqual(seed.latestComments('u1', 100));
    expect(all.body.comments.length).toBeGreaterThanOrEqual(12);
  });

  it('answers an empty list for a user without comments or an unknown user', async () => {
    expect(seed.latestComments('u13')).toEqual([]);
    expect((await getJson(`${base}/api/comments?userId=u13`)).body).toEqual({ comments: [] });
    expect((await getJson(`${base}/api/comments?userId=nobody`)).body).toEqual({ comments: [] });
  });

  it('refuses a bad limit or no user with 400', async () => {
    for (const query of ['userId=u1&limit=101', 'userId=u1&limit=abc', 'userId=u1&limit=-1', 'userId=u1&limit=2.5', '']) {
      const { status, body } = await getJson(`${base}/api/comments?${query}`);
      expect(status, query).toBe(400);
      expect(body).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
    expect((await getJson(`${base}/api/comments?userId=u1&limit=101`)).body.error).toBe('invalid_limit');
  });

  it('GET /api/comments?userIds= answers the newest `limit` of each user, mixed', async () => {
    const ids = ['u1', 'u2', 'u3', 'u13'];
    const { status, body } = await getJson(`${base}/api/comments?userIds=${ids.join(',')}&limit=5`);
    expect(status).toBe(200);
    const expected = ids.flatMap((id) => seed.latestComments(id, 5));
    expect(body.comments.map((c: { id: string }) => c.id)).not.toEqual(expected.map((c) => c.id));
    expect([...body.comments].sort(byId)).toEqual([...expected].sort(byId));
    const tooMany = await getJson(`${base}/api/comments?userIds=${Array.from({ length: 101 }, (_, i) => `u${i + 1}`).join(',')}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe('too_many_ids');
  });

  it('POST /api/comments creates a comment for x-user-id, newest first afterwards', async () => {
    const created = await postJson(`${base}/api/comments`, { body: 'Hello from a test' }, { 'x-user-id': 'u1' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: `c${seed.comments.length + 1}`,
      userId: 'u1',
      body: 'Hello from a test',
      createdAt: expect.any(String),
    });
    const { body } = await getJson(`${base}/api/comments?userId=u1&limit=2`);
    expect(body.comments).toEqual([created.body, seed.latestComments('u1', 1)[0]]);

    backends.resetAll();
    expect((await getJson(`${base}/api/comments?userId=u1&limit=2`)).body.comments).toEqual(seed.latestComments('u1', 2));
  });

  it('POST /api/comments: 401 without x-user-id, 400 for an empty or over-long body', async () => {
    const anonymous = await postJson(`${base}/api/comments`, { body: 'hi' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('unauthenticated');
    for (const body of ['', '   ', 'x'.repeat(5001), 42, null]) {
      const refused = await postJson(`${base}/api/comments`, { body }, { 'x-user-id': 'u1' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    expect((await postJson(`${base}/api/comments`, { body: 'x'.repeat(5000) }, { 'x-user-id': 'u1' })).status).toBe(201);
    const malformed = await getJson(`${base}/api/comments`, { method: 'POST', headers: { 'x-user-id': 'u1' }, body: 'not json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid_json');
  });
});
