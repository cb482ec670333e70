import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** `x-gateway-content-sha256` of a body streamed without hashing (backends.md, "Request signing"). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of the empty body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** How far a signature's timestamp may be from the backend's clock. */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60_000;

const HEX_64 = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,16}$/;

export type SignatureCheck = { ok: true; contentSha256: string } | { ok: false; reason: string };

export interface VerifySignatureInput {
  secret: string;
  /** Any case; upper-cased for the canonical string. */
  method: string;
  /** Exactly the request target received (`req.url`), e.g. `/api/users?ids=u1,u2`. */
  pathWithQuery: string;
  headers: IncomingHttpHeaders;
  /** The backend's clock (default `Date.now()`). */
  now?: number;
  /**
   * Lower-case hex SHA-256 of the body bytes received. When given (and the request did not say
   * `UNSIGNED-PAYLOAD`), it must equal `x-gateway-content-sha256`. Omit it to check the headers
   * alone before the body has been read, then call {@link bodyMatches}.
   */
  bodySha256?: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Verifies the `x-gateway-*` signature headers of a request:
 * `v1=hex(HMAC-SHA256(secret, METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nCONTENT_SHA256))`.
 */
export function verifySignature(input: VerifySignatureInput): SignatureCheck {
  const timestamp = header(input.headers, 'x-gateway-timestamp');
  const contentSha256 = header(input.headers, 'x-gateway-content-sha256');
  const signature = header(input.headers, 'x-gateway-signature');
  if (timestamp === undefined || contentSha256 === undefined || signature === undefined) {
    return { ok: false, reason: 'missing x-gateway-timestamp, x-gateway-content-sha256 or x-gateway-signature' };
  }
  if (!TIMESTAMP.test(timestamp)) return { ok: false, reason: 'x-gateway-timestamp is not unix milliseconds' };
  const now = input.now ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > MAX_SIGNATURE_SKEW_MS) {
    return { ok: false, reason: 'x-gateway-timestamp is more than 5 minutes from the server clock' };
  }
  if (contentSha256 !== UNSIGNED_PAYLOAD && !HEX_64.test(contentSha256)) {
    return { ok: false, reason: 'x-gateway-content-sha256 is neither lower-case hex SHA-256 nor UNSIGNED-PAYLOAD' };
  }
  if (!signature.startsWith('v1=') || !HEX_64.test(signature.slice(3))) {
    return { ok: false, reason: 'x-gateway-signature is not v1=<lower-case hex HMAC-SHA256>' };
  }
  const canonical = `${input.method.toUpperCase()}\n${input.pathWithQuery}\n${timestamp}\n${contentSha256}`;
  const expected = createHmac('sha256', input.secret).update(canonical).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature.slice(3), 'hex'))) {
    return { ok: false, reason: 'x-gateway-signature does not match' };
  }
  if (input.bodySha256 !== undefined && !bodyMatches(contentSha256, input.bodySha256)) {
    return { ok: false, reason: 'the body does not match x-gateway-content-sha256' };
  }
  return { ok: true, contentSha256 };
}

/** Whether the received body's hash satisfies a (header-verified) `x-gateway-content-sha256`. */
export function bodyMatches(contentSha256: string, bodySha256: string): boolean {
  if (contentSha256 === UNSIGNED_PAYLOAD) return true;
  const expected = Buffer.from(contentSha256);
  const actual = Buffer.from(bodySha256);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
