import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { GatewayConfig } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import type { Principal, Role } from './principal.js';

/** At most 5 s of clock tolerance (`gateway.md`). */
const CLOCK_TOLERANCE_S = 5;
const JWT_ROLES = new Set<Role>(['user', 'admin']);

export interface AuthenticatorOptions {
  config: GatewayConfig['auth'];
  now?: () => number;
}

/**
 * Turns request headers into a verified principal: a Bearer JWT (HS256 pinned with
 * `JWT_SECRET`; RS256/ES256 through `JWT_JWKS_URL` when set) or an `x-api-key`.
 * No credentials → `null` (anonymous); bad credentials → `UNAUTHENTICATED`.
 * Verified tokens are remembered for 5 minutes, never past their own `exp`.
 */
export class Authenticator {
  readonly #config: GatewayConfig['auth'];
  readonly #secret: Uint8Array;
  readonly #jwks?: ReturnType<typeof createRemoteJWKSet>;
  readonly #now: () => number;
  readonly #apiKeys: Array<{ name: string; digest: Buffer }>;
  // Keyed by the token itself: only ever holds tokens that verified.
  readonly #verified = new LRUCache<string, Principal>({ max: 10_000 });

  constructor({ config, now = Date.now }: AuthenticatorOptions) {
    this.#config = config;
    this.#now = now;
    this.#secret = new TextEncoder().encode(config.jwtSecret);
    if (config.jwksUrl) {
      // Keys cached 10 min; an unknown kid refetches (rotation) at most every 30 s; a slow JWKS
      // host holds a request at most 3 s.
      this.#jwks = createRemoteJWKSet(new URL(config.jwksUrl), {
        cacheMaxAge: 10 * 60_000,
        cooldownDuration: 30_000,
        timeoutDuration: 3000,
      });
    }
    this.#apiKeys = config.apiKeys.map(({ name, key }) => ({ name, digest: sha256(key) }));
  }

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal | null> {
    const authorization = single(headers.authorization);
    const apiKey = single(headers['x-api-key']);
    if (authorization !== undefined) return this.#verifyAuthorization(authorization);
    if (apiKey !== undefined) return this.#verifyApiKey(apiKey);
    return null;
  }

  #verifyApiKey(key: string): Principal {
    // Compare digests in constant time so neither key contents nor length leak through timing.
    const digest = sha256(key);
    let match: string | undefined;
    for (const candidate of this.#apiKeys) {
      if (timingSafeEqual(candidate.digest, digest)) match = candidate.name;
    }
    if (!match) throw unauthenticated('The API key is not valid.');
    return { id: `service:${match}`, role: 'service', via: 'api-key' };
  }

  async #verifyAuthorization(header: string): Promise<Principal> {
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is three base64url segments.
    const m = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(header);
    if (!m) throw unauthenticated('The Authorization header must be "Bearer <JWT>".');
    const token = m[1]!;
    const cached = this.#verified.get(token);
    if (cached && (cached.expiresAt ?? 0) * 1000 > this.#now()) return cached;

    const payload = await this.#verifyJwt(token);
    const role = payload.role;
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw unauthenticated('The token has no subject (sub).');
    if (typeof role !== 'string' || !JWT_ROLES.has(role as Role)) throw unauthenticated('The token has no valid role (user or admin).');
    const principal: Principal = { id: payload.sub, role: role as Role, via: 'jwt', expiresAt: payload.exp };
    const ttl = Math.min(this.#config.tokenCacheTtlMs, payload.exp! * 1000 - this.#now());
    if (ttl > 0) this.#verified.set(token, principal, { ttl });
    return principal;
  }

  async #verifyJwt(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthenticated('The token is malformed.');
    }
    const common = {
      issuer: this.#config.issuer,
      audience: this.#config.audience,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(this.#now()),
    };
    try {
      if (alg === 'HS256') return (await jwtVerify(token, this.#secret, { ...common, algorithms: ['HS256'] })).payload;
      if ((alg === 'RS256' || alg === 'ES256') && this.#jwks) {
        return (await jwtVerify(token, this.#jwks, { ...common, algorithms: ['RS256', 'ES256'] })).payload;
      }
      throw unauthenticated(`Tokens signed with ${alg ?? 'no algorithm'} are not accepted.`);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw unauthenticated(describeJoseError(err));
    }
  }
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The token is not valid yet (nbf).';
    if (err.claim === 'iss') return 'The token was issued by an issuer this gateway does not accept.';
    if (err.claim === 'aud') return 'The token is meant for another audience.';
    if (err.claim === 'exp') return 'The token has no expiry (exp).';
    return `The token's ${err.claim} claim is not valid.`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'No known key matches the token.';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token algorithm is not accepted.';
  return 'The token is not valid.';
}

function unauthenticated(message: string): GatewayError {
  return new GatewayError('UNAUTHENTICATED', { message });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
