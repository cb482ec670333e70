import type { Socket } from 'node:net';
import cors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';
import { STATUS_CODES, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/index.js';
import { GatewayError, errorCodes, type ErrorCode } from '../errors/index.js';
import { CSRF_HEADERS } from './use-graphql-hardening.js';

/**
 * Fastify server options against slow or oversized clients: the whole request (headers and
 * body) within `HTTP_REQUEST_TIMEOUT`, headers within `HTTP_HEADERS_TIMEOUT`, request line plus
 * headers (so the URL too) within `HTTP_MAX_HEADER_SIZE` bytes, the body within
 * `GRAPHQL_BODY_LIMIT`. Refusals at the socket level keep the `{"error","message"}` shape.
 */
export function hardenedServerOptions(config: GatewayConfig): {
  bodyLimit: number;
  requestTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
  trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  clientErrorHandler: (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket) => void;
  rewriteUrl: (req: IncomingMessage) => string;
} {
  return {
    bodyLimit: config.graphql.bodyLimit,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: 0,
    http: {
      maxHeaderSize: config.http.maxHeaderSize,
      headersTimeout: config.http.headersTimeoutMs,
      // How often Node looks for requests past their timeouts (default 30 s would let a slow client linger).
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    trustProxy: trustProxyOption(config.http.trustProxy),
    clientErrorHandler: codedClientError,
    rewriteUrl: rewriteRequestTarget,
  };
}

/** Set on the raw request by {@link rewriteRequestTarget}: why its target is refused. */
const BAD_TARGET = Symbol('gateway.badRequestTarget');
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The one spelling of a request target every later step sees (gateway.md: "a request's route
 * is decided once, from its path"). Percent-escapes of unreserved characters are decoded
 * (`%63` is `c`, RFC 3986 §6.2.2.2), as Fastify's router does when it matches; refused:
 * anything but origin-form (`http://host/...`, `*`), an encoded slash or backslash (a raw
 * backslash too: URL parsing treats it as a slash), and dot segments, also percent-encoded.
 * Hand-written: Fastify has no hook before routing that can answer, and URL parsing would
 * silently resolve exactly what must be refused.
 */
export function normalizeRequestTarget(url: string): { url: string; problem?: string } {
  if (!url.startsWith('/')) return { url, problem: 'The request target must be a path (origin-form).' };
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  if (/%2f|%5c|\\/i.test(rawPath)) return { url, problem: 'The request path must not contain an encoded slash or a backslash.' };
  const path = rawPath.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape;
  });
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    return { url, problem: 'The request path must not contain dot segments.' };
  }
  return { url: q === -1 ? path : path + url.slice(q) };
}

function rewriteRequestTarget(req: IncomingMessage): string {
  const { url, problem } = normalizeRequestTarget(req.url ?? '/');
  if (!problem) return url;
  (req as IncomingMessage & { [BAD_TARGET]?: string })[BAD_TARGET] = problem;
  // Routed nowhere in particular: the first onRequest hook refuses it (registerRequestTargetCheck).
  return url.startsWith('/') ? url : '/';
}

/**
 * Refuses, with 400 BAD_REQUEST, a request whose target {@link normalizeRequestTarget} refused.
 * Must be the FIRST onRequest hook: nothing (authentication, limits, handlers) runs for it.
 */
export function registerRequestTargetCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const problem = (req.raw as IncomingMessage & { [BAD_TARGET]?: string })[BAD_TARGET];
    if (problem === undefined) return;
    reply.header('x-request-id', req.id);
    throw new GatewayError('BAD_REQUEST', { message: problem });
  });
}

/** `TRUST_PROXY`: a hop count trusts that many proxies in front of the gateway. */
function trustProxyOption(value: GatewayConfig['http']['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return typeof value === 'boolean' ? value : [...value];
}

function codedClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : err.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST';
  const { status } = errorCodes[code];
  const body = { error: code, message: code === 'BAD_REQUEST' ? 'The request is not valid HTTP.' : errorCodes[code].message };
  this.log.debug({ err }, 'client error');
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

/**
 * Cross-origin access only for `CORS_ORIGINS` (none when unset), and the security headers of
 * helmet with a Content-Security-Policy GraphiQL still works under: it is one page of inline
 * script and style that starts workers from blob: URLs and compiles JSON schemas at run time.
 */
export function registerHttpHardening(app: FastifyInstance, config: GatewayConfig): void {
  // Registered before the identity hook: preflights are answered, and refusals carry CORS headers.
  void app.register(cors, {
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'x-request-id', 'traceparent', ...CSRF_HEADERS],
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
    maxAge: 600,
  });
  const headers = staticHelmetHeaders(HELMET_OPTIONS);
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}

const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'", "'unsafe-eval'", 'blob:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'", 'data:'],
      workerSrc: ["'self'", 'blob:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  crossOriginEmbedderPolicy: false,
};

/**
 * The headers helmet sets for these options, computed once. They depend only on the options
 * (no nonces), while @fastify/helmet rebuilt the whole middleware on every request: 12 µs per
 * request in the benchmark's profile, for the same dozen strings each time.
 */
export function staticHelmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  let failure: unknown;
  helmet(options)({} as IncomingMessage, res, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}
