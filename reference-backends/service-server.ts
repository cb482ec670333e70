import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echoReply, isDownload, streamDownload } from './echo.js';
import { FaultState, validateFaults, type FaultController, type Faults } from './faults.js';
import { HttpError, readBody, type ReceivedBody, type Reply } from './http-utils.js';
import { RingRequestLog, type LoggedRequest, type RequestLog } from './request-log.js';
import { compileRoutes, type RequestContext, type RouteMatch, type ServiceModule, type ServiceName } from './routing.js';
import { bodyMatches, verifySignature, type SignatureCheck } from './signature.js';

export const STATUS_PATH = '/api/shared-knowledge/status';
/** `lastUpdated` of the status route until the version is changed through the faults. */
export const INITIAL_LAST_UPDATED = '2024-01-15T10:30:00Z';
/** JSON bodies (login, comments, NPS answers) larger than this are refused with 413. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
const MAX_CONTROL_BODY_BYTES = 64 * 1024;
/** Longer than the usual 60 s idle timeout of clients and load balancers, so the client closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface ReferenceService {
  readonly name: ServiceName;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly faults: FaultController;
  readonly requests: RequestLog;
  /** Faults back to their defaults, log cleared, data back to the seed. */
  reset(): void;
  /** Stops listening and ends every connection, hanging requests and keep-alive sockets included. */
  close(): Promise<void>;
}

export interface ServiceServerOptions {
  module: ServiceModule;
  host: string;
  /** 0: ephemeral. */
  port: number;
  /** When set, every non-control request must be signed (backends.md, "Request signing"). */
  signingSecret?: string;
  /** The service's default faults (what `faults.reset()` returns to). */
  faults?: Partial<Faults>;
}

type Scope = 'data' | 'monitor' | 'other';

interface Waiter {
  scope: 'data' | 'monitor';
  resume(proceed: boolean): void;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts one reference service on its own `node:http` server. */
export async function startService(options: ServiceServerOptions): Promise<ReferenceService> {
  const { module, signingSecret } = options;
  const faults = new FaultState(options.faults);
  const log = new RingRequestLog();
  const match = compileRoutes(module.routes);
  const echoPrefix = module.echoPrefix;
  const waiters = new Set<Waiter>();
  const timers = new Set<NodeJS.Timeout>();
  let lastUpdated = INITIAL_LAST_UPDATED;
  let closing: Promise<void> | null = null;

  faults.onChange((current, previous) => {
    if (current.version !== previous.version) lastUpdated = new Date().toISOString();
    for (const waiter of waiters) {
      if (waiter.scope === 'data' ? !current.hang : !current.healthHang) waiter.resume(true);
    }
  });

  function versionHeader(): Record<string, string> {
    const version = faults.current.version;
    return version === null ? {} : { 'x-shared-knowledge-version': version };
  }

  function send(res: ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    const headers: Record<string, string> = { ...versionHeader(), ...reply.headers };
    if (reply.status === 204 || reply.status === 304) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  function sendError(res: ServerResponse, error: HttpError): void {
    send(res, { status: error.status, body: { error: error.code, message: error.message }, headers: error.headers });
  }

  /** Holds a request while its scope's hang fault is on: true once cleared, false when the connection ends. */
  function hangWhile(res: ServerResponse, scope: Waiter['scope']): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = () => waiter.resume(false);
      const waiter: Waiter = {
        scope,
        resume(proceed) {
          waiters.delete(waiter);
          res.off('close', onClose);
          resolve(proceed);
        },
      };
      waiters.add(waiter);
      res.once('close', onClose);
    });
  }

  /** Waits `ms`: true when done, false when the connection ended first. */
  function delay(res: ServerResponse, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolve(true);
      }, ms);
      timer.unref();
      timers.add(timer);
      res.once('close', onClose);
    });
  }

  function resetService(): void {
    faults.reset();
    log.clear();
    module.reset();
  }

  async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
    const body = await readBody(req, { buffer: true, hash: false, maxBytes });
    if (body.overflow || !body.buffer) throw new HttpError(413, 'payload_too_large', `the body must be at most ${maxBytes} bytes`);
    try {
      return JSON.parse(body.buffer.toString('utf8')) as unknown;
    } catch {
      throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
    }
  }

  async function control(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    const routes: Record<string, Record<string, () => Promise<Reply> | Reply>> = {
      '/__control/faults': {
        GET: () => ({ status: 200, body: faults.current }),
        POST: async () => {
          const checked = validateFaults(await readJson(req, MAX_CONTROL_BODY_BYTES));
          if (!checked.ok) throw new HttpError(400, 'invalid_faults', checked.message);
          return { status: 200, body: faults.set(checked.value) };
        },
      },
      '/__control/reset': {
        POST: () => {
          resetService();
          return { status: 200, body: { reset: true, faults: faults.current } };
        },
      },
      '/__control/requests': {
        GET: () => {
          const requests = log.all();
          return { status: 200, body: { count: requests.length, requests } };
        },
        DELETE: () => {
          const cleared = log.count();
          log.clear();
          return { status: 200, body: { cleared } };
        },
      },
    };
    const methods = routes[path];
    if (!methods) throw new HttpError(404, 'not_found', `no control route ${path}`);
    const handler = methods[method];
    if (!handler)
      throw new HttpError(405, 'method_not_allowed', `${method} ${path} is not allowed`, { allow: Object.keys(methods).join(', ') });
    send(res, await handler());
  }

  function monitor(ctx: RequestContext): Reply {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new HttpError(405, 'method_not_allowed', `${ctx.method} ${ctx.path} is not allowed`, { allow: 'GET, HEAD' });
    }
    const { version, unhealthy, statusRoute } = faults.current;
    const versionField = version === null ? {} : { sharedKnowledgeVersion: version };
    if (ctx.path === STATUS_PATH) {
      if (!statusRoute) throw new HttpError(404, 'not_found', `no route ${ctx.method} ${ctx.path}`);
      return { status: 200, body: version === null ? { lastUpdated } : { version, lastUpdated } };
    }
    if (unhealthy) {
      return { status: 503, body: { status: 'unhealthy', service: module.name, ...versionField, message: 'injected fault: unhealthy' } };
    }
    return { status: 200, body: { status: 'healthy', service: module.name, ...versionField } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith('/__control/')) return control(req, res, method, path);

    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const entry: LoggedRequest = {
      method,
      path,
      url,
      query: Object.fromEntries(query),
      headers: req.headers,
      at: Date.now(),
      signatureValid: null,
    };
    let signature: SignatureCheck | null = null;
    if (signingSecret !== undefined) {
      signature = verifySignature({ secret: signingSecret, method, pathWithQuery: url, headers: req.headers });
      entry.signatureValid = signature.ok;
    }
    log.push(entry);

    const scope: Scope = path === '/health' || path === STATUS_PATH ? 'monitor' : path.startsWith('/api/') ? 'data' : 'other';
    // Faults come first: a dead or failing service does not get as far as checking signatures.
    if (scope === 'monitor') {
      if (faults.current.healthHang && !(await hangWhile(res, 'monitor'))) return;
      const ms = faults.current.healthLatencyMs;
      if (ms > 0 && !(await delay(res, ms))) return;
    } else if (scope === 'data') {
      if (faults.current.hang && !(await hangWhile(res, 'data'))) return;
      const ms = faults.current.latencyMs;
      if (ms > 0 && !(await delay(res, ms))) return;
      if (faults.current.reset) {
        req.socket.resetAndDestroy();
        return;
      }
      const failure = faults.takeFailure();
      if (failure) {
        throw new HttpError(
          failure.status,
          'injected',
          `injected failure (HTTP ${failure.status})`,
          failure.retryAfter === null ? undefined : { 'retry-after': failure.retryAfter },
        );
      }
    }

    if (signature && !signature.ok) throw new HttpError(401, 'bad_signature', signature.reason);

    const echo = scope === 'data' && (path === echoPrefix || path.startsWith(`${echoPrefix}/`));
    const found: RouteMatch = scope === 'data' && !echo ? match(method, path) : { kind: 'not_found' };
    const wantsJson = found.kind === 'found' && found.route.body === 'json';
    const mustHash = echo || (signature?.ok === true && signature.contentSha256 !== 'UNSIGNED-PAYLOAD');
    let body: ReceivedBody | null = null;
    if (wantsJson || mustHash) body = await readBody(req, { buffer: wantsJson, hash: mustHash, maxBytes: MAX_JSON_BODY_BYTES });
    if (signature?.ok && body?.sha256 && !bodyMatches(signature.contentSha256, body.sha256)) {
      entry.signatureValid = false;
      throw new HttpError(401, 'bad_signature', 'the body does not match x-gateway-content-sha256');
    }

    const ctx: RequestContext = { method, path, url, query, params: {}, headers: req.headers, json: undefined };
    if (scope === 'monitor') return send(res, monitor(ctx));
    if (echo) {
      if (isDownload(echoPrefix, ctx)) return streamDownload(ctx, res, versionHeader());
      return send(res, echoReply(ctx, { bytes: body?.bytes ?? 0, sha256: body?.sha256 ?? null }));
    }
    switch (found.kind) {
      case 'found':
        break;
      case 'method_not_allowed':
        throw new HttpError(405, 'method_not_allowed', `${method} ${path} is not allowed`, { allow: found.allow.join(', ') });
      case 'bad_path':
        throw new HttpError(400, 'invalid_request', 'the path is not valid percent-encoding');
      default:
        throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    }
    ctx.params = found.params;
    if (wantsJson && body) {
      if (body.overflow || !body.buffer)
        throw new HttpError(413, 'payload_too_large', `the body must be at most ${MAX_JSON_BODY_BYTES} bytes`);
      try {
        ctx.json = JSON.parse(body.buffer.toString('utf8'));
      } catch {
        throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
      }
    }
    send(res, await found.route.handler(ctx));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendError(res, error);
      else if (!res.headersSent && !req.socket.destroyed) sendError(res, new HttpError(500, 'internal', 'unexpected error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    name: module.name,
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    faults,
    requests: log,
    reset: resetService,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const waiter of waiters) waiter.resume(false);
      });
      return closing;
    },
  };
}
