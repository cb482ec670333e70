import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRandom } from './data.js';
import { EMPTY_BODY_SHA256 } from './signature.js';

/** An error answered as `{"error": code, "message": message}` with `status`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, code: string, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** What a route handler answers: serialised once as JSON. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const MAX_IDS = 100;
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 10;

/**
 * A comma-separated id list (`ids=u1,u2`): blanks dropped, duplicates removed; more than
 * {@link MAX_IDS} → 400 `too_many_ids`.
 */
export function parseIdList(raw: string, name: string): string[] {
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (ids.length > MAX_IDS) {
    throw new HttpError(400, 'too_many_ids', `${name} accepts at most ${MAX_IDS} ids, got ${ids.length}`);
  }
  return [...new Set(ids)];
}

/** `limit`: default 10, an integer 0..100, else 400 `invalid_limit`. */
export function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_LIMIT;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) > MAX_LIMIT) {
    throw new HttpError(400, 'invalid_limit', `limit must be an integer from 0 to ${MAX_LIMIT}`);
  }
  return Number(raw);
}

/** Exactly one of two alternative query parameters (`userId` / `userIds`). */
export function oneOf(query: URLSearchParams, single: string, plural: string): { single: string } | { plural: string } {
  const one = query.get(single);
  const many = query.get(plural);
  if (one !== null && many !== null) throw new HttpError(400, 'invalid_request', `give either ${single} or ${plural}, not both`);
  if (many !== null) return { plural: many };
  if (one !== null && one.length > 0) return { single: one };
  throw new HttpError(400, 'invalid_request', `${single} or ${plural} is required`);
}

function hashText(text: string): number {
  // FNV-1a
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic shuffle seeded by `seedText` (the request's query), never equal to the
 * input order when there are two or more items: the contract does not promise order, and
 * the reference backends make sure a client that relies on it notices.
 */
export function scramble<T>(items: readonly T[], seedText: string): T[] {
  const out = items.slice();
  if (out.length < 2) return out;
  const random = createRandom(hashText(seedText));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  if (out.every((item, i) => item === items[i])) out.push(out.shift() as T);
  return out;
}

export interface ReadBodyOptions {
  /** Keep the bytes (up to `maxBytes`) for the handler. */
  buffer: boolean;
  /** Hash the bytes (SHA-256, incrementally). */
  hash: boolean;
  /** Buffering stops past this many bytes (`overflow` is then true); hashing and counting go on. */
  maxBytes: number;
}

export interface ReceivedBody {
  bytes: number;
  /** Lower-case hex, when hashing was asked for. */
  sha256: string | null;
  /** The bytes, when buffering was asked for and they fit. */
  buffer: Buffer | null;
  overflow: boolean;
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Reads the request body as a stream: never more than `maxBytes` held in memory. */
export async function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<ReceivedBody> {
  if (!hasBody(req)) {
    return { bytes: 0, sha256: options.hash ? EMPTY_BODY_SHA256 : null, buffer: options.buffer ? Buffer.alloc(0) : null, overflow: false };
  }
  const hash = options.hash ? createHash('sha256') : null;
  const chunks: Buffer[] = [];
  let bytes = 0;
  let overflow = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash?.update(chunk);
    if (options.buffer && !overflow) {
      if (bytes > options.maxBytes) {
        overflow = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    }
  }
  return {
    bytes,
    sha256: hash ? hash.digest('hex') : null,
    buffer: options.buffer && !overflow ? Buffer.concat(chunks, bytes) : null,
    overflow,
  };
}

/** The `x-user-id` header of an authenticated call, else 401. */
export function requireUserId(headers: IncomingMessage['headers']): string {
  const userId = headers['x-user-id'];
  if (typeof userId !== 'string' || userId.trim() === '') {
    throw new HttpError(401, 'unauthenticated', 'x-user-id header is required');
  }
  return userId.trim();
}

/** A JSON object body, else 400. */
export function requireObject(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object');
  }
  return json as Record<string, unknown>;
}
