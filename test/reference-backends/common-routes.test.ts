import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_NAMES, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, getJson } from './helpers.js';

let backends: ReferenceBackends;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, faults: { nps: { statusRoute: false, version: '1.1.0' } } });
});
afterAll(() => backends.close());

describe('routes common to every service', () => {
  it('starts the four services on loopback', () => {
    expect(backends.all.map((s) => s.name)).toEqual(SERVICE_NAMES);
    for (const name of SERVICE_NAMES) {
      expect(backends.urls[name]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(backends[name].url).toBe(`http://127.0.0.1:${backends[name].port}`);
    }
  });

  it('GET /health answers healthy with the version', async () => {
    for (const service of [backends.auth, backends.comment, backends.industry]) {
      const { status, headers, body } = await getJson(`${service.url}/health`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'healthy', sharedKnowledgeVersion: '1.0.0' });
      expect(headers.get('x-shared-knowledge-version')).toBe('1.0.0');
    }
    expect((await getJson(`${backends.nps.url}/health`)).body.sharedKnowledgeVersion).toBe('1.1.0');
  });

  it('GET /api/shared-knowledge/status answers version and lastUpdated, or 404 where configured off', async () => {
    const { status, body } = await getJson(`${backends.auth.url}/api/shared-knowledge/status`);
    expect(status).toBe(200);
    expect(body).toEqual({ version: '1.0.0', lastUpdated: '2024-01-15T10:30:00Z' });
    const off = await getJson(`${backends.nps.url}/api/shared-knowledge/status`);
    expect(off.status).toBe(404);
    expect(off.body.error).toBe('not_found');
  });

  it('puts x-shared-knowledge-version and a JSON error body on every answer, errors included', async () => {
    const cases: [string, RequestInit | undefined, number][] = [
      [`${backends.auth.url}/api/users/u1`, undefined, 200],
      [`${backends.auth.url}/api/users/nobody`, undefined, 404],
      [`${backends.auth.url}/nowhere`, undefined, 404],
      [`${backends.auth.url}/api/users?ids=${'u1,'.repeat(101)}`, undefined, 400],
      [`${backends.auth.url}/api/users/u1`, { method: 'DELETE' }, 405],
      [`${backends.comment.url}/api/comments`, { method: 'POST', body: '{}' }, 401],
    ];
    for (const [url, init, expected] of cases) {
      const { status, headers, body } = await getJson(url, init);
      expect(status, url).toBe(expected);
      expect(headers.get('x-shared-knowledge-version')).toBe('1.0.0');
      expect(headers.get('content-type')).toBe('application/json');
      if (status >= 400) expect(body).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
  });

  it('answers 405 with Allow for a known path and a wrong method', async () => {
    const { status, headers } = await getJson(`${backends.auth.url}/api/users/u1`, { method: 'PUT', body: '{}' });
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('GET');
  });

  it('keeps connections alive for about 65 s', async () => {
    const res = await fetch(`${backends.auth.url}/health`);
    await res.arrayBuffer();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });
});
