import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStack, TEST_JWT_SECRET, type Stack } from '../support/stack.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'knowledge-gateway';
const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A valid HS256 token for this stack, with any claim or header overridden. */
function hs256(claims: JWTPayload = {}, opts: { key?: Uint8Array; alg?: string } = {}): Promise<string> {
  return new SignJWT({ role: 'user', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'u1')
    .setIssuedAt()
    .sign(opts.key ?? secret);
}

/** A tiny JWKS endpoint whose key set the test can rotate. */
async function startJwks(): Promise<{ url: string; keys: JWK[]; fetches: () => number; close: () => Promise<void> }> {
  const state = { keys: [] as JWK[], fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    fetches: () => state.fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK; spki: string }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, spki: await exportSPKI(publicKey) };
}

function asymmetric(privateKey: CryptoKey, alg: 'RS256' | 'ES256', kid: string, claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({ role: 'user', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, ...claims })
    .setProtectedHeader({ alg, kid })
    .setSubject('u1')
    .sign(privateKey);
}

/**
 * A table of JWT attacks. Each is refused with 401 and a message that says what is
 * wrong, before any handler runs (so no backend is ever asked).
 */
describe('auth: JWT attacks', () => {
  let stack: Stack;
  let jwks: Awaited<ReturnType<typeof startJwks>>;
  let rsa: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    jwks = await startJwks();
    rsa = await keyPair('RS256', 'rsa-1');
    jwks.keys = [rsa.jwk];
    stack = await startStack({
      env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: jwks.url, RATE_LIMIT_AUTH_FAILURE_MAX: '1000' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await jwks?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const dashboard = (headers: Record<string, string>, query = '') =>
    fetch(`${stack.url}/api/orchestration/user/u1/dashboard${query}`, { headers });

  type Case = { name: string; headers: () => Promise<Record<string, string>>; query?: () => Promise<string>; message: RegExp };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const cases: Case[] = [
    {
      name: 'alg none (unsigned token)',
      headers: async () =>
        bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u1', role: 'admin', exp: now() + 3600, iss: ISSUER, aud: AUDIENCE })}.`),
      message: /none are not accepted/,
    },
    {
      name: 'HS/RS confusion: HS256 signed with the RSA public key as HMAC secret',
      headers: async () => bearer(await hs256({ role: 'admin' }, { key: new TextEncoder().encode(rsa.spki) })),
      message: /signature is not valid/,
    },
    {
      name: 'RS256 header on an HMAC signature (alg swapped)',
      headers: async () => {
        const [, payload, sig] = (await hs256({ role: 'admin' }, { key: new TextEncoder().encode(rsa.spki) })).split('.');
        return bearer(`${b64({ alg: 'RS256', kid: 'rsa-1' })}.${payload}.${sig}`);
      },
      message: /not valid|signature/,
    },
    {
      name: 'wrong secret',
      headers: async () => bearer(await hs256({}, { key: new TextEncoder().encode('another-secret-that-is-long-enough-012345') })),
      message: /signature is not valid/,
    },
    {
      name: 'another HMAC algorithm (HS512) with the right secret',
      headers: async () => bearer(await hs256({}, { alg: 'HS512' })),
      message: /HS512 are not accepted/,
    },
    { name: 'expired (beyond the 5 s tolerance)', headers: async () => bearer(await hs256({ exp: now() - 30 })), message: /expired/ },
    { name: 'no exp at all', headers: async () => bearer(await hs256({ exp: undefined })), message: /exp/ },
    { name: 'nbf in the future', headers: async () => bearer(await hs256({ nbf: now() + 600 })), message: /not valid yet/ },
    { name: 'wrong issuer', headers: async () => bearer(await hs256({ iss: 'https://evil.test' })), message: /issuer/ },
    { name: 'wrong audience', headers: async () => bearer(await hs256({ aud: 'another-api' })), message: /audience/ },
    { name: 'role the token may not claim (service)', headers: async () => bearer(await hs256({ role: 'service' })), message: /role/ },
    { name: 'no subject', headers: async () => bearer(await hs256({ sub: '' })), message: /subject|sub/ },
    { name: 'garbage after Bearer', headers: async () => bearer('not-a-jwt'), message: /Bearer <JWT>/ },
    { name: 'three garbage segments', headers: async () => bearer('aaaa.bbbb.cccc'), message: /malformed/ },
    { name: 'empty bearer', headers: async () => ({ authorization: 'Bearer ' }), message: /Bearer <JWT>/ },
    { name: 'bare "Bearer"', headers: async () => ({ authorization: 'Bearer' }), message: /Bearer <JWT>/ },
    {
      name: 'another scheme (Basic)',
      headers: async () => ({ authorization: `Basic ${Buffer.from('u1:pw').toString('base64')}` }),
      message: /Bearer <JWT>/,
    },
    {
      name: 'RS256 signed by a key the JWKS does not hold',
      headers: async () => bearer(await asymmetric((await keyPair('RS256', 'rogue')).privateKey, 'RS256', 'rogue')),
      message: /No known key|not valid/,
    },
    {
      name: 'RS256 with a known kid but signed by another key',
      headers: async () => bearer(await asymmetric((await keyPair('RS256', 'x')).privateKey, 'RS256', 'rsa-1')),
      message: /signature is not valid/,
    },
    // A token anywhere but the Authorization header is ignored: the request is anonymous.
    {
      name: 'token in the query string',
      headers: async () => ({}),
      query: async () => `?access_token=${await hs256()}`,
      message: /Authentication is required/,
    },
    {
      name: 'token in a cookie',
      headers: async () => ({ cookie: `token=${await hs256()}; access_token=${await hs256()}` }),
      message: /Authentication is required/,
    },
    { name: 'token in x-access-token', headers: async () => ({ 'x-access-token': await hs256() }), message: /Authentication is required/ },
  ];

  it.each(cases)('$name → 401 with a clear message, no backend asked', async ({ headers, query, message }) => {
    stack.backends.resetAll();
    const res = await dashboard(await headers(), query ? await query() : '');
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('UNAUTHENTICATED');
    expect(body.message).toMatch(message);
    expect(stack.backendRequests()).toBe(0);
  });

  it('the same refusals reach GraphQL as UNAUTHENTICATED (401 before Yoga runs)', async () => {
    const res = await stack.graphql('{ user(id: "u1") { id } }', {}, { token: await hs256({ exp: now() - 30 }) });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.errors?.[0]?.message).toMatch(/expired/);
  });

  it('a valid token, and one expired by less than the 5 s tolerance, are accepted', async () => {
    for (const token of [await hs256(), await hs256({ exp: now() - 2 })]) {
      const res = await dashboard(bearer(token));
      expect(res.status).toBe(200);
    }
    // The scheme is case-insensitive.
    expect((await dashboard({ authorization: `bearer ${await hs256()}` })).status).toBe(200);
  });

  it('RS256 and ES256 tokens verify through the JWKS, and a rotated key is fetched on its unknown kid', async () => {
    const ec = await keyPair('ES256', 'ec-1');
    jwks.keys = [rsa.jwk, ec.jwk];
    vi.useFakeTimers({ toFake: ['Date'] });
    // Past jose's cool-down since the last JWKS fetch, so an unknown kid triggers a refetch.
    vi.setSystemTime(Date.now() + 60_000);
    expect((await dashboard(bearer(await asymmetric(rsa.privateKey, 'RS256', 'rsa-1')))).status).toBe(200);
    expect((await dashboard(bearer(await asymmetric(ec.privateKey, 'ES256', 'ec-1')))).status).toBe(200);

    // Rotation: the issuer drops rsa-1 and publishes rsa-2.
    const rotated = await keyPair('RS256', 'rsa-2');
    jwks.keys = [rotated.jwk, ec.jwk];
    vi.setSystemTime(Date.now() + 60_000);
    const before = jwks.fetches();
    expect((await dashboard(bearer(await asymmetric(rotated.privateKey, 'RS256', 'rsa-2')))).status).toBe(200);
    expect(jwks.fetches()).toBe(before + 1);
    // The new key is cached: another token with it needs no fetch.
    expect((await dashboard(bearer(await asymmetric(rotated.privateKey, 'RS256', 'rsa-2', { sub: 'u1', exp: now() + 100 })))).status).toBe(
      200,
    );
    expect(jwks.fetches()).toBe(before + 1);
  });

  it('an RS256 token is refused when no JWKS is configured', async () => {
    const plain = await startStack();
    try {
      const res = await fetch(`${plain.url}/api/orchestration/user/u1/dashboard`, {
        headers: bearer(await asymmetric(rsa.privateKey, 'RS256', 'rsa-1')),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toMatch(/RS256 are not accepted/);
    } finally {
      await plain.close();
    }
  });
});
