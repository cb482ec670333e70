import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_BODY_SHA256, startBackends, verifySignature, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, TEST_SIGNING_SECRET, getJson, sha256Hex, signatureHeaders } from './helpers.js';

let backends: ReferenceBackends;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET, signingSecret: TEST_SIGNING_SECRET });
});
afterEach(() => backends.resetAll());
afterAll(() => backends.close());

const sign = (method: string, pathWithQuery: string, extra: { timestamp?: number; contentSha256?: string; body?: string } = {}) =>
  signatureHeaders({ secret: TEST_SIGNING_SECRET, method, pathWithQuery, ...extra });

async function expectBadSignature(promise: ReturnType<typeof getJson>) {
  const { status, body, headers } = await promise;
  expect(status).toBe(401);
  expect(body).toEqual({ error: 'bad_signature', message: expect.any(String) });
  expect(headers.get('x-shared-knowledge-version')).toBe('1.0.0');
}

describe('request signing', () => {
  it('accepts a correctly signed request and logs it as valid', async () => {
    const target = '/api/users?ids=u1,u2';
    const { status, body } = await getJson(`${backends.auth.url}${target}`, { headers: sign('GET', target) });
    expect(status).toBe(200);
    expect(body.users).toHaveLength(2);
    expect(backends.auth.requests.all().map((r) => [r.url, r.signatureValid])).toEqual([[target, true]]);
  });

  it('requires signatures on health checks too', async () => {
    await expectBadSignature(getJson(`${backends.comment.url}/health`));
    expect((await getJson(`${backends.comment.url}/health`, { headers: sign('GET', '/health') })).status).toBe(200);
  });

  it('refuses a missing, wrong, old or future signature with 401 bad_signature', async () => {
    const target = '/api/users/u1';
    const url = `${backends.auth.url}${target}`;
    await expectBadSignature(getJson(url));
    const good = sign('GET', target);
    await expectBadSignature(getJson(url, { headers: { ...good, 'x-gateway-signature': `v1=${'0'.repeat(64)}` } }));
    await expectBadSignature(getJson(url, { headers: { ...good, 'x-gateway-signature': good['x-gateway-signature']!.toUpperCase() } }));
    await expectBadSignature(getJson(url, { headers: sign('GET', '/api/users/u2') }));
    await expectBadSignature(getJson(url, { headers: sign('POST', target) }));
    await expectBadSignature(getJson(url, { headers: sign('GET', target, { timestamp: Date.now() - 5 * 60_000 - 1_000 }) }));
    await expectBadSignature(getJson(url, { headers: sign('GET', target, { timestamp: Date.now() + 5 * 60_000 + 1_000 }) }));
    const { 'x-gateway-signature': _signature, ...unsigned } = good;
    await expectBadSignature(getJson(url, { headers: unsigned }));
    expect(backends.auth.requests.count((r) => r.signatureValid === false)).toBe(8);
    expect((await getJson(url, { headers: sign('GET', target, { timestamp: Date.now() - 4 * 60_000 }) })).status).toBe(200);
  });

  it('checks the body against x-gateway-content-sha256', async () => {
    const url = `${backends.comment.url}/api/comments`;
    const body = JSON.stringify({ body: 'signed comment' });
    const headers = { 'content-type': 'application/json', 'x-user-id': 'u1' };
    const created = await getJson(url, { method: 'POST', body, headers: { ...headers, ...sign('POST', '/api/comments', { body }) } });
    expect(created.status).toBe(201);

    const tampered = JSON.stringify({ body: 'tampered comment' });
    await expectBadSignature(
      getJson(url, { method: 'POST', body: tampered, headers: { ...headers, ...sign('POST', '/api/comments', { body }) } }),
    );
    expect(backends.comment.requests.all().at(-1)?.signatureValid).toBe(false);
  });

  it('accepts UNSIGNED-PAYLOAD bodies without hashing them against the header', async () => {
    const body = JSON.stringify({ score: 8 });
    const { status } = await getJson(`${backends.nps.url}/api/nps/responses`, {
      method: 'POST',
      body,
      headers: { 'x-user-id': 'u1', ...sign('POST', '/api/nps/responses', { contentSha256: 'UNSIGNED-PAYLOAD' }) },
    });
    expect(status).toBe(201);
  });

  it('leaves the control routes unsigned', async () => {
    expect((await getJson(`${backends.auth.url}/__control/faults`)).status).toBe(200);
  });
});

describe('verifySignature', () => {
  const headersFor = (extra: Parameters<typeof signatureHeaders>[0]) => signatureHeaders(extra);
  const base = { secret: 's3cret', method: 'get', pathWithQuery: '/api/x?a=1' };

  it('verifies the canonical string with the upper-cased method', () => {
    const headers = headersFor({ ...base, method: 'GET', timestamp: 1_000_000 });
    expect(verifySignature({ ...base, headers, now: 1_000_000 })).toEqual({ ok: true, contentSha256: EMPTY_BODY_SHA256 });
    expect(verifySignature({ ...base, headers, now: 1_000_000 + 300_000 }).ok).toBe(true);
    expect(verifySignature({ ...base, headers, now: 1_000_000 + 300_001 }).ok).toBe(false);
    expect(verifySignature({ ...base, secret: 'other', headers, now: 1_000_000 }).ok).toBe(false);
  });

  it('compares the body hash when given one', () => {
    const headers = headersFor({ ...base, method: 'GET', body: 'abc' });
    expect(verifySignature({ ...base, headers, bodySha256: sha256Hex('abc') }).ok).toBe(true);
    expect(verifySignature({ ...base, headers, bodySha256: sha256Hex('abd') })).toEqual({
      ok: false,
      reason: expect.stringContaining('body'),
    });
    const unsigned = headersFor({ ...base, method: 'GET', contentSha256: 'UNSIGNED-PAYLOAD' });
    expect(verifySignature({ ...base, headers: unsigned, bodySha256: sha256Hex('anything') }).ok).toBe(true);
  });

  it('refuses malformed headers', () => {
    const headers = headersFor({ ...base, method: 'GET' });
    expect(verifySignature({ ...base, headers: { ...headers, 'x-gateway-timestamp': 'yesterday' } }).ok).toBe(false);
    expect(verifySignature({ ...base, headers: { ...headers, 'x-gateway-content-sha256': 'ABC' } }).ok).toBe(false);
    expect(verifySignature({ ...base, headers: { ...headers, 'x-gateway-signature': headers['x-gateway-signature']!.slice(3) } }).ok).toBe(
      false,
    );
  });
});
