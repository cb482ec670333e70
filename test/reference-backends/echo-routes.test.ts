import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadSha256, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, TEST_SIGNING_SECRET, getJson, sha256Hex, signatureHeaders } from './helpers.js';

let backends: ReferenceBackends;
let signed: ReferenceBackends;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  signed = await startBackends({ jwtSecret: TEST_JWT_SECRET, signingSecret: TEST_SIGNING_SECRET });
});
afterAll(() => Promise.all([backends.close(), signed.close()]));

const MB = 1024 * 1024;

describe('echo routes', () => {
  it('each service echoes under its own prefix', async () => {
    const prefixes = { auth: '/api/auth/echo', comment: '/api/comments/echo', industry: '/api/jobs/echo', nps: '/api/nps/echo' };
    for (const service of backends.all) {
      const prefix = prefixes[service.name];
      const { status, headers, body } = await getJson(`${service.url}${prefix}/deep/path?a=1&b=two`, {
        method: 'PATCH',
        headers: { 'x-custom': 'yes', 'content-type': 'text/plain' },
        body: 'hello',
      });
      expect(status).toBe(200);
      expect(headers.get('x-echo')).toBe('1');
      expect(headers.get('x-shared-knowledge-version')).toBe('1.0.0');
      expect(body).toMatchObject({
        method: 'PATCH',
        path: `${prefix}/deep/path`,
        query: { a: '1', b: 'two' },
        bodyBytes: 5,
        bodySha256: sha256Hex('hello'),
      });
      expect(body.headers['x-custom']).toBe('yes');
    }
  });

  it('answers the status asked for', async () => {
    const created = await getJson(`${backends.nps.url}/api/nps/echo?status=201`, { method: 'POST', body: '{}' });
    expect(created.status).toBe(201);
    const failed = await getJson(`${backends.nps.url}/api/nps/echo?status=503`);
    expect(failed.status).toBe(503);
    expect(failed.body.method).toBe('GET');
    const empty = await fetch(`${backends.nps.url}/api/nps/echo?status=204`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    expect((await getJson(`${backends.nps.url}/api/nps/echo?status=42`)).status).toBe(400);
  });

  it('hashes a 5 MB upload', async () => {
    const data = Buffer.alloc(5 * MB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const { status, body } = await getJson(`${backends.comment.url}/api/comments/echo`, { method: 'PUT', body: data });
    expect(status).toBe(200);
    expect(body).toMatchObject({ method: 'PUT', bodyBytes: 5 * MB, bodySha256: sha256Hex(data) });
  });

  it('streams a 50 MB chunked upload through the hash', async () => {
    const chunk = Buffer.alloc(MB, 7);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 50) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const expected = createHash('sha256');
    for (let i = 0; i < 50; i++) expected.update(chunk);
    const { body } = await getJson(`${backends.auth.url}/api/auth/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(body.bodyBytes).toBe(50 * MB);
    expect(body.bodySha256).toBe(expected.digest('hex'));
    expect(body.headers['transfer-encoding']).toBe('chunked');
  });

  it('streams a download of N bytes', async () => {
    const res = await fetch(`${backends.industry.url}/api/jobs/echo/download?bytes=${5 * MB + 17}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(5 * MB + 17));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(5 * MB + 17);
    expect(bytes[300]).toBe(300 % 251);
    expect(sha256Hex(bytes)).toBe(downloadSha256(5 * MB + 17));
    expect((await getJson(`${backends.industry.url}/api/jobs/echo/download?bytes=lots`)).status).toBe(400);
  });

  it('verifies signed bodies after streaming them, and accepts UNSIGNED-PAYLOAD', async () => {
    const target = '/api/nps/echo?x=1';
    const url = `${signed.nps.url}${target}`;
    const body = Buffer.alloc(2 * MB, 1);
    const ok = await getJson(url, {
      method: 'PUT',
      body,
      headers: signatureHeaders({ secret: TEST_SIGNING_SECRET, method: 'PUT', pathWithQuery: target, body }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.bodySha256).toBe(sha256Hex(body));
    const wrong = await getJson(url, {
      method: 'PUT',
      body,
      headers: signatureHeaders({ secret: TEST_SIGNING_SECRET, method: 'PUT', pathWithQuery: target, body: 'something else' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('bad_signature');
    const unsigned = await getJson(url, {
      method: 'PUT',
      body,
      headers: signatureHeaders({ secret: TEST_SIGNING_SECRET, method: 'PUT', pathWithQuery: target, contentSha256: 'UNSIGNED-PAYLOAD' }),
    });
    expect(unsigned.status).toBe(200);
    expect(signed.nps.requests.all().map((r) => r.signatureValid)).toEqual([true, false, true]);
  });
});
