import { createHash, createHmac } from 'node:crypto';

export const TEST_JWT_SECRET = 'test-reference-backends-jwt-secret-0123456789';
export const TEST_SIGNING_SECRET = 'test-reference-backends-signing-secret';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SignOptions {
  secret: string;
  method: string;
  pathWithQuery: string;
  /** Default: now. */
  timestamp?: number;
  /** Default: the SHA-256 of `body` (or of the empty string). */
  contentSha256?: string;
  body?: string | Uint8Array;
}

/** The gateway's signing scheme (backends.md, "Request signing"), written independently for the tests. */
export function signatureHeaders(options: SignOptions): Record<string, string> {
  const timestamp = String(options.timestamp ?? Date.now());
  const contentSha256 = options.contentSha256 ?? sha256Hex(options.body ?? '');
  const canonical = `${options.method.toUpperCase()}\n${options.pathWithQuery}\n${timestamp}\n${contentSha256}`;
  return {
    'x-gateway-timestamp': timestamp,
    'x-gateway-content-sha256': contentSha256,
    'x-gateway-signature': `v1=${createHmac('sha256', options.secret).update(canonical).digest('hex')}`,
  };
}

// Tests read the answers loosely, then compare them with the seed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Polls (on short real ticks) until `predicate` holds: for "the server has received the request". */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
