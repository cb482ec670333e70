import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, byId, getJson, postJson } from './helpers.js';

let backends: ReferenceBackends;
let base: string;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  base = backends.auth.url;
});
afterAll(() => backends.close());

describe('auth service', () => {
  it('GET /api/users/:id answers the user, or 404 not_found', async () => {
    const found = await getJson(`${base}/api/users/u1`);
    expect(found.status).toBe(200);
    expect(found.headers.get('content-type')).toBe('application/json');
    expect(found.body).toEqual(seed.getUser('u1'));

    const missing = await getJson(`${base}/api/users/u999`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });

  it('GET /api/users?ids= answers the known users, in another order than asked', async () => {
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5', 'u999', 'u6'];
    const { status, body } = await getJson(`${base}/api/users?ids=${ids.join(',')}`);
    expect(status).toBe(200);
    const returned = (body.users as { id: string }[]).map((u) => u.id);
    expect(returned).not.toEqual(ids.filter((id) => id !== 'u999'));
    expect([...body.users].sort(byId)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((id) => seed.getUser(id)!));
  });

  it('never answers two ids in the order asked', async () => {
    const { body } = await getJson(`${base}/api/users?ids=u1,u2`);
    expect(body.users.map((u: { id: string }) => u.id)).toEqual(['u2', 'u1']);
  });

  it('accepts 100 ids and refuses 101 with too_many_ids', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i + 1}`).join(',');
    const ok = await getJson(`${base}/api/users?ids=${ids(100)}`);
    expect(ok.status).toBe(200);
    expect(ok.body.users).toHaveLength(100);
    const tooMany = await getJson(`${base}/api/users?ids=${ids(101)}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({ error: 'too_many_ids', message: expect.any(String) });
  });

  it('POST /api/auth/login issues an HS256 JWT with sub, role, iat and a 1 h exp', async () => {
    for (const [email, id, role] of [
      ['ada@example.com', 'u1', 'user'],
      ['grace@example.com', 'u2', 'admin'],
    ] as const) {
      const { status, body } = await postJson(`${base}/api/auth/login`, { email, password: 'password' });
      expect(status).toBe(200);
      expect(body.user).toEqual(seed.getUser(id));
      const { payload, protectedHeader } = await jwtVerify(body.token, new TextEncoder().encode(TEST_JWT_SECRET), {
        algorithms: ['HS256'],
      });
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload).toMatchObject({ sub: id, role });
      expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    }
  });

  it('refuses wrong credentials with 401 invalid_credentials', async () => {
    for (const credentials of [
      { email: 'ada@example.com', password: 'wrong' },
      { email: 'nobody@example.com', password: 'password' },
    ]) {
      const { status, body } = await postJson(`${base}/api/auth/login`, credentials);
      expect(status).toBe(401);
      expect(body).toEqual({ error: 'invalid_credentials', message: expect.any(String) });
    }
  });

  it('refuses malformed bodies with 400', async () => {
    const malformed = await getJson(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toBe('invalid_json');
    const wrongShape = await postJson(`${base}/api/auth/login`, { email: 'ada@example.com' });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error).toBe('invalid_request');
    const notObject = await postJson(`${base}/api/auth/login`, ['ada@example.com', 'password']);
    expect(notObject.status).toBe(400);
  });
});
