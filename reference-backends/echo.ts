import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpError, type Reply } from './http-utils.js';
import type { RequestContext } from './routing.js';

/**
 * Passthrough test routes, one per service under its own contract prefix
 * (`/api/auth/echo`, `/api/comments/echo`, `/api/jobs/echo`, `/api/nps/echo`):
 *
 * - `ANY <prefix>/echo[/anything]?status=N` answers status N (default 200) with
 *   `{"method","path","query","headers","bodyBytes","bodySha256"}` and `x-echo: 1`; the body is
 *   streamed through SHA-256, never buffered.
 * - `GET <prefix>/echo/download?bytes=N` streams N bytes of `application/octet-stream` (byte i
 *   is `i % 251`, see {@link downloadSha256}) without buffering them.
 */

export const MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;
const PATTERN_MODULUS = 251;
// A multiple of the modulus, so consecutive chunks continue the pattern.
const CHUNK = Buffer.from(Array.from({ length: PATTERN_MODULUS * 256 }, (_, i) => i % PATTERN_MODULUS));

/** The bytes `GET <prefix>/echo/download?bytes=N` sends, as a lower-case hex SHA-256. */
export function downloadSha256(bytes: number): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < bytes; sent += CHUNK.length) hash.update(CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent)));
  return hash.digest('hex');
}

export function isDownload(prefix: string, ctx: Pick<RequestContext, 'method' | 'path'>): boolean {
  return ctx.path === `${prefix}/download` && (ctx.method === 'GET' || ctx.method === 'HEAD');
}

export function echoReply(ctx: RequestContext, body: { bytes: number; sha256: string | null }): Reply {
  const raw = ctx.query.get('status');
  const status = raw === null ? 200 : /^\d{3}$/.test(raw) ? Number(raw) : NaN;
  if (!(status >= 200 && status <= 599)) throw new HttpError(400, 'invalid_request', 'status must be an integer from 200 to 599');
  return {
    status,
    headers: { 'x-echo': '1' },
    body: {
      method: ctx.method,
      path: ctx.path,
      query: Object.fromEntries(ctx.query),
      headers: ctx.headers,
      bodyBytes: body.bytes,
      bodySha256: body.sha256,
    },
  };
}

/** Streams the download with backpressure: memory stays at one shared 63 KiB chunk. */
export function streamDownload(ctx: RequestContext, res: ServerResponse, headers: Record<string, string>): void {
  const raw = ctx.query.get('bytes');
  const total = raw !== null && /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(total <= MAX_DOWNLOAD_BYTES))
    throw new HttpError(400, 'invalid_request', `bytes must be an integer from 0 to ${MAX_DOWNLOAD_BYTES}`);
  res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(total), 'x-echo': '1' });
  if (ctx.method === 'HEAD') {
    res.end();
    return;
  }
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      if (res.destroyed) return;
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
