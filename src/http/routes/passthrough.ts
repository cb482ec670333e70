import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { ServiceName } from '../../config/index.js';
import type { GatewayServices } from '../../context/index.js';
import { GatewayError, errorMessages } from '../../errors/index.js';
import { SIGNED_BODY_LIMIT, isNothingSent, toUpstreamGatewayError, type ServiceClient } from '../../upstreams/index.js';
import { assertCanPassthrough } from '../../auth/policy.js';
import { requirePrincipal } from '../guards.js';
import { routeConfig } from '../../security/route-config.js';

/** The route map of `gateway.md`: path prefix → service. */
export const PASSTHROUGH_PREFIXES: ReadonlyArray<readonly [prefix: string, service: ServiceName]> = [
  ['/api/auth', 'auth'],
  ['/api/users', 'auth'],
  ['/api/comments', 'comment'],
  ['/api/industries', 'industry'],
  ['/api/jobs', 'industry'],
  ['/api/nps', 'nps'],
];

/**
 * The one passthrough route a client may use without credentials (it is how they get some),
 * declared as its own route so the anonymous decision and the login limit hang on it
 * (route config), never on a URL string. With a trailing slash too: a service may route both.
 */
const LOGIN_ROUTES = ['/api/auth/login', '/api/auth/login/'];

/** RFC 9110 §7.6.1 hop-by-hop headers, plus `expect` (undici refuses it; Node already answered the 100-continue). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** The headers a `Connection` header names are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionNamed(headers: IncomingHttpHeaders): ReadonlySet<string> | undefined {
  const connection = headers.connection;
  if (!connection) return undefined;
  return new Set(connection.split(',').map((name) => name.trim().toLowerCase()));
}

function isHopByHop(name: string, named: ReadonlySet<string> | undefined): boolean {
  return HOP_BY_HOP.has(name) || named?.has(name) === true;
}

/** Client headers that would let a caller speak for the gateway: identity and signature come only from the gateway. */
function isForgeable(name: string): boolean {
  return name === 'x-user-id' || name === 'x-user-role' || name === 'x-api-key' || name.startsWith('x-gateway-') || name === 'traceparent';
}

const IDEMPOTENT_BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface PassthroughRouteOptions {
  services: GatewayServices;
}

/** Connections of each service's passthrough pool (its data calls keep their own pool). */
export const PASSTHROUGH_CONNECTIONS = 64;

/**
 * Passthrough requests in flight per principal (or anonymous client IP), in this process: one
 * caller cannot hold every passthrough connection of a service. Per replica on purpose: an
 * in-flight count kept in Redis would leak whenever a replica died mid-request.
 */
class InFlight {
  readonly #counts = new Map<string, number>();
  constructor(readonly max: number) {}

  /** Takes a slot for `key` until `release` is called; false when it has none left. */
  acquire(key: string): boolean {
    const n = this.#counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.#counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = (this.#counts.get(key) ?? 1) - 1;
    if (n <= 0) this.#counts.delete(key);
    else this.#counts.set(key, n);
  }
}

/**
 * The REST passthrough for legacy clients (`gateway.md` route map), through the service's
 * one call pipeline ({@link ServiceClient.request}) over a passthrough pool of its own: same method, path, query, body, status and headers;
 * bodies streamed both ways; hop-by-hop headers dropped and `x-forwarded-*` added; behind
 * the same authentication, breaker, tracing and signing as GraphQL.
 *
 * Registered as an encapsulated plugin: its catch-all content-type parser hands the raw
 * request stream on (never buffering it) without touching the JSON parser of `/graphql`.
 */
export function registerPassthroughRoutes(app: FastifyInstance, { services }: PassthroughRouteOptions): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    const inFlight = new InFlight(services.config.passthrough.maxConcurrentPerPrincipal);
    for (const [name, client] of Object.entries(services.upstreams.clients) as Array<[ServiceName, ServiceClient]>) {
      const prefixes = PASSTHROUGH_PREFIXES.filter(([, s]) => s === name).map(([p]) => p);
      // Passthrough has a pool of its own: however many connections its callers hold (a
      // download nobody reads), the data calls of GraphQL and the dashboard keep theirs.
      const pool = new Pool(client.baseUrl, { connections: PASSTHROUGH_CONNECTIONS, keepAliveTimeout: 30_000 });
      scope.addHook('onClose', async () => pool.destroy());
      const forward = (req: FastifyRequest, reply: FastifyReply, route: string, prefix: string): Promise<FastifyReply> =>
        forwardBounded(req, reply, services, client, pool, inFlight, route, prefix);
      if (name === 'auth') {
        for (const url of LOGIN_ROUTES) {
          scope.route({
            method: 'POST',
            url,
            config: { allowAnonymous: true, rateLimit: 'login' },
            handler: (req, reply) => forward(req, reply, url, '/api/auth'),
          });
        }
      }
      for (const prefix of prefixes) {
        for (const url of [prefix, `${prefix}/*`]) {
          scope.route({
            method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
            url,
            handler: (req, reply) => forward(req, reply, url, prefix),
          });
        }
      }
    }
  });
}

/** {@link forward} within the caller's share of concurrent passthrough requests (429 beyond it). */
async function forwardBounded(
  req: FastifyRequest,
  reply: FastifyReply,
  services: GatewayServices,
  client: ServiceClient,
  pool: Dispatcher,
  inFlight: InFlight,
  route: string,
  prefix: string,
): Promise<FastifyReply> {
  if (routeConfig(req).allowAnonymous !== true) requirePrincipal(req);
  const key = req.principal ? `p:${req.principal.id}` : `ip:${req.ip}`;
  if (!inFlight.acquire(key)) {
    throw new GatewayError('RATE_LIMITED', {
      message: `At most ${inFlight.max} passthrough requests at once per caller; retry when one has finished.`,
      retryAfterSeconds: 1,
    });
  }
  // Held until the answer is sent or the connection goes away, whichever comes first.
  reply.raw.once('close', () => inFlight.release(key));
  return forward(req, reply, services, client, pool, route, prefix);
}

async function forward(
  req: FastifyRequest,
  reply: FastifyReply,
  services: GatewayServices,
  client: ServiceClient,
  pool: Dispatcher,
  route: string,
  prefix: string,
): Promise<FastifyReply> {
  const { config } = services;
  const method = req.method.toUpperCase();
  const rawPath = req.url.split('?', 1)[0]!;

  // The exact target sent upstream: what gets signed.
  let target: URL;
  try {
    target = new URL(req.url.startsWith('//') ? `.${req.url}` : req.url, client.baseUrl);
  } catch {
    throw new GatewayError('BAD_REQUEST', { message: 'The request path is malformed.' });
  }
  // URL parsing resolves dot segments (also percent-encoded ones): what is left must still be under the prefix.
  if (target.pathname !== prefix && !target.pathname.startsWith(`${prefix}/`)) {
    throw new GatewayError('BAD_REQUEST', { message: 'The request path leaves its route prefix.' });
  }
  const pathWithQuery = target.pathname + target.search;
  // The data rule of GraphQL and the REST dashboard, on the target exactly as it will be sent.
  assertCanPassthrough(req.principal, target);

  // Body: small bodies of known length are read and hashed (signed); bigger or chunked ones stream unsigned.
  const stream = req.body instanceof Readable ? req.body : undefined;
  const declared = contentLength(req.headers);
  if (declared !== undefined && declared > config.passthrough.bodyLimit) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', { message: errorMessages.bodyTooLarge(config.passthrough.bodyLimit) });
  }
  let body: Buffer | Readable | undefined;
  if (stream) {
    if (declared !== undefined && declared <= SIGNED_BODY_LIMIT) body = await readSmallBody(stream, declared);
    else if (declared !== undefined) body = stream;
    else {
      // A chunked body goes through the limit on its way.
      body = stream.pipe(byteLimit(config.passthrough.bodyLimit));
      stream.once('error', (err) => (body as Readable).destroy(err));
      req.body = body;
    }
  }
  if (body instanceof Buffer && body.length === 0) body = IDEMPOTENT_BODYLESS.has(method) ? undefined : body;
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new GatewayError('BAD_REQUEST', { message: `A ${method} request cannot carry a body through the gateway.` });
  }

  const timeoutMs = timeoutFor(rawPath, config.passthrough, client.timeoutMs);
  const bodyless = body === undefined && !declared && req.headers['transfer-encoding'] === undefined;
  let upstream: Dispatcher.ResponseData;
  try {
    // The one upstream pipeline (budget, breaker, retries, signing, span, metrics, version):
    // what is passthrough's own is the pool, the headers, and which failures may be retried.
    upstream = await client.request({
      method,
      pathWithQuery,
      ctx: { requestId: req.id, traceparent: req.trace.traceparent, principal: req.principal, span: req.otelSpan },
      body,
      headers: (own) => requestHeaders(req, own),
      dispatcher: pool,
      timeoutMs,
      // A streamed upload takes as long as it keeps moving (gateway.md: PASSTHROUGH_TIMEOUT is the
      // time to the answer's headers and the longest silence in a body).
      timeoutKind: body instanceof Readable ? 'silence' : 'call',
      // Only a bodyless idempotent request whose failure sent no byte: a retry cannot repeat an effect.
      retries: IDEMPOTENT_BODYLESS.has(method) && bodyless ? config.orchestration.retryAttempts : 0,
      shouldRetry: isNothingSent,
      // The client's own fault (an oversized chunked body) or its disconnect says nothing about the service.
      callerFault: (err) =>
        findGatewayError(err) ?? (reply.raw.destroyed ? new GatewayError('BAD_REQUEST', { message: 'The client went away.' }) : undefined),
      // Any status, 5xx included, is relayed to this caller and not counted against the
      // service: one client's requests must not open the breaker for everyone (gateway.md).
      // Network errors and timeouts still count.
      read: async (res) => res,
      track: {
        route,
        attributes: { 'http.route': route, 'server.address': target.hostname, 'gateway.request_id': req.id },
        log: { path: target.pathname, passthrough: true },
        logger: req.log,
      },
    });
  } catch (err) {
    if (err instanceof GatewayError) {
      // The rest of the body is not wanted: do not keep the connection for it.
      reply.header('connection', 'close');
      throw err;
    }
    throw toUpstreamGatewayError(err, { service: client.name, surface: 'passthrough', timeoutMs });
  }
  reply.code(upstream.statusCode);
  reply.headers(responseHeaders(upstream.headers));
  if (method === 'HEAD' || upstream.statusCode === 204 || upstream.statusCode === 304) {
    await upstream.body.dump();
    return reply.send();
  }
  return reply.send(
    cutOffWhenStalled(upstream.body, reply.raw, timeoutMs, () => {
      req.log.info(
        { service: client.name, route, silenceMs: timeoutMs },
        'passthrough answer stalled (the client stopped reading or the service went silent); connection cut',
      );
    }),
  );
}

/** The client's headers, less hop-by-hop and forgeable ones, then the gateway's own and its forwarding headers. */
function requestHeaders(req: FastifyRequest, outbound: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNamed(req.headers);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || isHopByHop(name, named) || isForgeable(name) || isForwarding(name) || name === 'host') continue;
    out[name] = value;
  }
  // The client's Accept wins over the JSON default of data calls.
  const { accept, ...gatewayHeaders } = outbound;
  if (out.accept === undefined && accept) out.accept = accept;
  Object.assign(out, gatewayHeaders);
  // Forwarding headers are the gateway's own view (gateway.md): the client's `x-forwarded-*`,
  // `forwarded` and `x-real-ip` were dropped above (isForwarding); what Fastify's `trustProxy`
  // (TRUST_PROXY) accepted of them is in req.ips / req.protocol / req.host.
  // req.ips: the socket peer, then each trusted hop's claim back to the first untrusted one.
  out['x-forwarded-for'] = [...(req.ips ?? [req.ip])].reverse().join(', ');
  out['x-forwarded-proto'] = req.protocol;
  if (req.host) out['x-forwarded-host'] = req.host;
  out['x-real-ip'] = req.ip;
  return out;
}

/** Forwarding headers only the gateway sets (a client's would let it pose as someone else). */
function isForwarding(name: string): boolean {
  return name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-');
}

function responseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const named = connectionNamed(headers);
  for (const [name, value] of Object.entries(headers)) {
    // The gateway's own request id (already set) is the one the client sees.
    if (value === undefined || isHopByHop(name, named) || name === 'x-request-id') continue;
    out[name] = value;
  }
  return out;
}

/** A coded error of the gateway's own somewhere in the cause chain (undici wraps it). */
function findGatewayError(err: unknown): GatewayError | undefined {
  let e = err as { cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof GatewayError) return e;
    e = e.cause as typeof e;
  }
  return undefined;
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** A `PASSTHROUGH_ROUTE_TIMEOUTS` prefix, else `PASSTHROUGH_TIMEOUT`, else the service's own call budget. */
function timeoutFor(path: string, passthrough: GatewayServices['config']['passthrough'], serviceBudgetMs: number): number {
  let best: { prefix: string; timeoutMs: number } | undefined;
  for (const rule of passthrough.routeTimeouts) {
    if (
      (path === rule.prefix || path.startsWith(rule.prefix.endsWith('/') ? rule.prefix : `${rule.prefix}/`)) &&
      (!best || rule.prefix.length > best.prefix.length)
    )
      best = rule;
  }
  return best?.timeoutMs ?? passthrough.timeoutOverrideMs ?? serviceBudgetMs;
}

/** Reads a body whose length is known and at most {@link SIGNED_BODY_LIMIT} (it is about to be hashed). */
async function readSmallBody(stream: Readable, declared: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > declared) throw new GatewayError('BAD_REQUEST', { message: 'The request body is longer than its Content-Length.' });
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('BAD_REQUEST', { message: 'The request body could not be read.', cause: err });
  }
  return Buffer.concat(chunks, total);
}

/** Fails a chunked body that grows past the passthrough limit (one whose length is declared is checked up front). */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) done(new GatewayError('PAYLOAD_TOO_LARGE', { message: errorMessages.bodyTooLarge(limit) }));
      else done(null, chunk);
    },
  });
}

/**
 * The answer's body on its way to the client, cut off after `silenceMs` in which no byte
 * moved (gateway.md: "a client that stops reading is cut off after PASSTHROUGH_TIMEOUT of
 * silence"). A client that stops reading stalls the socket's writes, the pipe's backpressure
 * stops pulling from here, and the timer runs out: then both the upstream body (its
 * connection goes back to the pool) and the client's connection are destroyed.
 */
function cutOffWhenStalled(body: Readable, raw: ServerResponse, silenceMs: number, onCut: () => void): Readable {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(cut, silenceMs);
    timer.unref();
  };
  const watched = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      arm();
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      clearTimeout(timer);
      done();
    },
  });
  function cut(): void {
    onCut();
    body.destroy();
    watched.destroy();
    raw.destroy();
  }
  arm();
  watched.once('close', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  // pipeline: an upstream error ends the client's answer, and a client gone destroys the upstream body.
  pipeline(body, watched, () => clearTimeout(timer));
  return watched;
}
