import { createHash, createHmac } from 'node:crypto';

/** Bodies larger than this (or of unknown length) are streamed unsigned, as `backends.md` allows. */
export const SIGNED_BODY_LIMIT = 1024 * 1024;
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignInput {
  method: string;
  /** Exactly the request target sent, e.g. `/api/users?ids=u1,u2`. */
  pathWithQuery: string;
  /** The body bytes, `undefined` for none, or `UNSIGNED_PAYLOAD` for a streamed body. */
  body?: string | Uint8Array | typeof UNSIGNED_PAYLOAD;
  /** Unix milliseconds; defaults to now. */
  timestamp?: number;
}

/**
 * The `v1` request signature of `backends.md`:
 * HMAC-SHA256(secret, METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n CONTENT_SHA256).
 */
export function signRequest(secret: string, input: SignInput): Record<string, string> {
  const timestamp = String(input.timestamp ?? Date.now());
  const contentSha256 =
    input.body === UNSIGNED_PAYLOAD
      ? UNSIGNED_PAYLOAD
      : input.body === undefined || input.body.length === 0
        ? EMPTY_SHA256
        : createHash('sha256').update(input.body).digest('hex');
  const canonical = `${input.method.toUpperCase()}\n${input.pathWithQuery}\n${timestamp}\n${contentSha256}`;
  return {
    'x-gateway-timestamp': timestamp,
    'x-gateway-content-sha256': contentSha256,
    'x-gateway-signature': `v1=${createHmac('sha256', secret).update(canonical).digest('hex')}`,
  };
}
