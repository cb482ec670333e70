import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { Pool } from 'undici';
import type { ServiceName } from '../../config/index.js';
import type { GatewayServices } from '../../context/index.js';
import { GatewayError } from '../../errors/index.js';
import { backoffDelayMs } from '../../resilience/index.js';
import {
  SIGNED_BODY_LIMIT,
  UNSIGNED_PAYLOAD,
  isBreakerOpen,
  isNothingSent,
  toUpstreamGatewayError,
  type ServiceClient,
  type UpstreamCallStatus,
} from '../../upstreams/index.js';
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
 * The REST passthrough for legacy clients (`gateway.md` route map), on `@fastify/reply-from`
 * over each service's own undici pool: same method, path, query, body, status and headers;
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
      // reply-from destroys it when the server closes.
      const pool = new Pool(client.baseUrl, { connections: PASSTHROUGH_CONNECTIONS, keepAliveTimeout: 30_000 });
      const forward = (req: FastifyRequest, reply: FastifyReply, route: string, prefix: string): Promise<FastifyReply> =>
        forwardBounded(req, reply, services, client, inFlight, route, prefix);
      // One reply-from per service (it decorates the reply, hence one encapsulated scope each).
      await scope.register(async (serviceScope) => {
        await serviceScope.register(replyFrom, { base: client.baseUrl, undici: pool, disableRequestLogging: true });
        if (name === 'auth') {
          for (const url of LOGIN_ROUTES) {
            serviceScope.route({
              method: 'POST',
              url,
              config: { allowAnonymous: true, rateLimit: 'login' },
              handler: (req, reply) => forward(req, reply, url, '/api/auth'),
            });
          }
        }
        for (const prefix of prefixes) {
          for (const url of [prefix, `${prefix}/*`]) {
            serviceScope.route({
              method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
              url,
              handler: (req, reply) => forward(req, reply, url, prefix),
            });
          }
        }
      });
    }
  });
}

/** {@link forward} within the caller's share of concurrent passthrough requests (429 beyond it). */
async function forwardBounded(
  req: FastifyRequest,
  reply: FastifyReply,
  services: GatewayServices,
  client: ServiceClient,
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
  return forward(req, reply, services, client, route, prefix);
}

async function forward(
  req: FastifyRequest,
  reply: FastifyReply,
  services: GatewayServices,
  client: ServiceClient,
  route: string,
  prefix: string,
): Promise<FastifyReply> {
  const { config } = services;
  const method = req.method.toUpperCase();
  const rawPath = req.url.split('?', 1)[0]!;

  // The exact target sent upstream, as reply-from will build it: what gets signed.
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
    throw new GatewayError('PAYLOAD_TOO_LARGE', { message: `The request body is larger than ${config.passthrough.bodyLimit} bytes.` });
  }
  let body: Buffer | Readable | undefined;
  if (stream) {
    if (declared !== undefined && declared <= SIGNED_BODY_LIMIT) body = await readSmallBody(stream, declared);
    else if (declared !== undefined) body = stream;
    else {
      // reply-from forwards `req.body` when it is a stream; a chunked body goes through the limit first.
      body = stream.pipe(byteLimit(config.passthrough.bodyLimit));
      stream.once('error', (err) => (body as Readable).destroy(err));
      req.body = body;
    }
  }
  if (body instanceof Buffer && body.length === 0) body = IDEMPOTENT_BODYLESS.has(method) ? undefined : body;
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new GatewayError('BAD_REQUEST', { message: `A ${method} request cannot carry a body through the gateway.` });
  }

  // Span, metrics and log line come from the client's one call pipeline; the transport is reply-from (streams both ways).
  const call = client.track(
    method,
    pathWithQuery,
    { requestId: req.id, traceparent: req.trace.traceparent, principal: req.principal },
    {
      parent: req.otelSpan,
      route,
      attributes: { 'http.route': route, 'server.address': target.hostname, 'gateway.request_id': req.id },
      log: { path: target.pathname, passthrough: true },
      logger: req.log,
    },
  );
  const outbound = client.outboundHeaders(
    method,
    pathWithQuery,
    { requestId: req.id, traceparent: call.traceparent, principal: req.principal },
    body === undefined ? undefined : body instanceof Buffer ? body : UNSIGNED_PAYLOAD,
  );
  const timeoutMs = timeoutFor(rawPath, config.passthrough, client.timeoutMs);
  const started = performance.now();
  let status: UpstreamCallStatus = 'error';
  let failure: string | undefined;
  let forwarded = false;
  let clientFault: GatewayError | undefined;

  try {
    await client.breaker.fire(
      () =>
        new Promise<void>((resolve, reject) => {
          reply.from(target.pathname, {
            queryString: () => target.search.slice(1),
            timeout: timeoutMs,
            ...(body instanceof Buffer ? { body, contentType: req.headers['content-type'] ?? 'application/octet-stream' } : {}),
            rewriteRequestHeaders: (_req, headers) => requestHeaders(req, headers, outbound),
            rewriteHeaders: (headers) => responseHeaders(headers),
            retryDelay: ({ err, attempt }) => retryDelayFor(method, req.headers, err, attempt, config.orchestration.retryAttempts),
            onResponse: (_request, rep, res) => {
              forwarded = true;
              status = res.statusCode;
              client.observeVersion((res as unknown as { headers: Record<string, string | string[] | undefined> }).headers);
              void rep.send(
                cutOffWhenStalled(res.stream as Readable, reply.raw, timeoutMs, () => {
                  req.log.info(
                    { service: client.name, route, silenceMs: timeoutMs },
                    'passthrough answer stalled (the client stopped reading or the service went silent); connection cut',
                  );
                }),
              );
              // Any status, 5xx included, is relayed to this caller and not counted against the
              // service: one client's requests must not open the breaker for everyone (gateway.md).
              // Network errors and timeouts (onError) still count.
              resolve();
            },
            onError: (_rep, { error }) => {
              // The client's own fault (an oversized chunked body) or its disconnect says nothing about the service.
              clientFault =
                findGatewayError(error) ??
                (reply.raw.destroyed ? new GatewayError('BAD_REQUEST', { message: 'The client went away.' }) : undefined);
              if (clientFault) resolve();
              else reject(error);
            },
          });
        }),
    );
    if (clientFault) {
      status = 'error';
      // The rest of the body is not wanted: do not keep the connection for it.
      reply.header('connection', 'close');
      throw clientFault;
    }
  } catch (err) {
    if (err === clientFault) throw err;
    if (forwarded) return reply;
    // reply-from's own refusal of the path is the client's fault, not the service's.
    const mapped =
      (err as { statusCode?: number }).statusCode === 400 && !(err instanceof GatewayError)
        ? new GatewayError('BAD_REQUEST', { message: 'The request path is not allowed.', cause: err })
        : toUpstreamGatewayError(err, { service: client.name, surface: 'passthrough', timeoutMs });
    status =
      mapped.code === 'UPSTREAM_TIMEOUT' ? 'timeout' : mapped.code === 'SERVICE_UNAVAILABLE' && isBreakerOpen(err) ? 'rejected' : 'error';
    if (status === 'timeout') client.breaker.recordTimeout();
    failure = mapped.message;
    throw mapped;
  } finally {
    // One attempt as the client sees it (reply-from's retries inside it are not seen one by one).
    call.attempt(status, performance.now() - started, 1);
    call.end(status, failure);
  }
  return reply;
}

function requestHeaders(req: FastifyRequest, headers: IncomingHttpHeaders, outbound: Record<string, string>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || isForgeable(name) || isForwarding(name)) continue;
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
  for (const [name, value] of Object.entries(headers)) {
    // The gateway's own request id (already set) is the one the client sees.
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'x-request-id') continue;
    out[name] = value;
  }
  return out;
}

function retryDelayFor(method: string, headers: IncomingHttpHeaders, err: unknown, attempt: number, retries: number): number | null {
  if (!err || attempt >= retries || !IDEMPOTENT_BODYLESS.has(method)) return null;
  if (contentLength(headers) || headers['transfer-encoding']) return null;
  // Only failures where no byte reached the service: a retry cannot repeat an effect.
  if (!isNothingSent(err)) return null;
  // reply-from counts attempts from 0; the backoff of every retry of the gateway (resilience/retry.ts).
  return backoffDelayMs(attempt + 1);
}

/** A coded error of the gateway's own somewhere in the cause chain (reply-from and undici wrap it). */
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
      if (seen > limit) done(new GatewayError('PAYLOAD_TOO_LARGE', { message: `The request body is larger than ${limit} bytes.` }));
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
