/**
 * The four reference services in memory, for the fast test tier (test/support/app.ts): the
 * same route modules and seed as `reference-backends/`, answered through an undici
 * `Dispatcher` that stands in for a service client's pool, so no socket is opened. What it
 * leaves out is what the loopback stack (stack.ts) is for: faults, signing, hangs, resets,
 * streaming bodies and the echo routes. Every request is logged as the real services log it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Dispatcher } from 'undici';
import {
  seed,
  SERVICE_NAMES,
  STATUS_PATH,
  INITIAL_LAST_UPDATED,
  type LoggedRequest,
  type RequestLog,
  type ServiceName,
} from '../../reference-backends/index.js';
import { HttpError, type Reply } from '../../reference-backends/http-utils.js';
import { createModule } from '../../reference-backends/index.js';
import { RingRequestLog } from '../../reference-backends/request-log.js';
import { compileRoutes, type RequestContext } from '../../reference-backends/routing.js';

export interface MemoryService {
  readonly name: ServiceName;
  readonly requests: RequestLog;
  /** The shared knowledge version it reports (header and /health), default `'1.0.0'`. */
  version: string;
  /** Data back to the seed, log cleared, version back to the default. */
  reset(): void;
  /** A dispatcher answering for this service (one per gateway client). */
  dispatcher(): Dispatcher;
}

export type MemoryBackends = Record<ServiceName, MemoryService> & { all: MemoryService[]; resetAll(): void };

const DEFAULT_VERSION = '1.0.0';

/** Lower-cased header names, as Node's `req.headers` has them (undici takes an object or a flat array). */
function headerObject(raw: Dispatcher.DispatchOptions['headers']): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  if (!raw) return out;
  const pairs: Array<[string, unknown]> = Array.isArray(raw)
    ? Array.from({ length: raw.length / 2 }, (_, i) => [String(raw[2 * i]), raw[2 * i + 1]])
    : Symbol.iterator in raw
      ? [...(raw as Iterable<[string, unknown]>)]
      : Object.entries(raw);
  for (const [k, v] of pairs) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
  return out;
}

function bodyText(body: Dispatcher.DispatchOptions['body']): string | undefined {
  if (body == null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  // Streams are the loopback tier's business (passthrough).
  throw new Error('memory backends: streamed request bodies are not supported (use startStack)');
}

function createService(name: ServiceName, jwtSecret: string): MemoryService {
  const module = createModule(name, jwtSecret);
  const match = compileRoutes(module.routes);
  const log = new RingRequestLog();

  async function answer(method: string, url: string, headers: IncomingHttpHeaders, text: string | undefined): Promise<Reply> {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    log.push({
      method,
      path,
      url,
      query: Object.fromEntries(query),
      headers,
      at: Date.now(),
      signatureValid: null,
    } satisfies LoggedRequest);
    if (path === '/health') return { status: 200, body: { status: 'healthy', service: name, sharedKnowledgeVersion: service.version } };
    if (path === STATUS_PATH) return { status: 200, body: { version: service.version, lastUpdated: INITIAL_LAST_UPDATED } };
    const found = match(method, path);
    if (found.kind === 'method_not_allowed')
      throw new HttpError(405, 'method_not_allowed', `${method} ${path} is not allowed`, { allow: found.allow.join(', ') });
    if (found.kind !== 'found') throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    const ctx: RequestContext = { method, path, url, query, params: found.params, headers, json: undefined };
    if (found.route.body === 'json') {
      try {
        ctx.json = JSON.parse(text ?? '');
      } catch {
        throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
      }
    }
    return found.route.handler(ctx);
  }

  const service: MemoryService = {
    name,
    requests: log,
    version: DEFAULT_VERSION,
    reset() {
      log.clear();
      module.reset();
      service.version = DEFAULT_VERSION;
    },
    dispatcher: () =>
      new MemoryDispatcher((method, url, headers, body) =>
        answer(method, url, headers, body).then(
          (reply) => ({ ...reply, headers: { 'x-shared-knowledge-version': service.version, ...reply.headers } }),
          (err: unknown) => {
            if (err instanceof HttpError)
              return {
                status: err.status,
                body: { error: err.code, message: err.message },
                headers: { 'x-shared-knowledge-version': service.version, ...err.headers },
              };
            throw err;
          },
        ),
      ),
  };
  return service;
}

type Answer = (method: string, url: string, headers: IncomingHttpHeaders, body: string | undefined) => Promise<Reply>;

/**
 * undici's dispatch protocol over an in-memory answer: the legacy handler callbacks
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`) that `Dispatcher#request`'s
 * handler implements. Hand-written: undici's MockAgent matches fixed interceptors, while this
 * has to run the reference routes for any path.
 */
class MemoryDispatcher extends Dispatcher {
  readonly #answer: Answer;
  #closed = false;

  constructor(answer: Answer) {
    super();
    this.#answer = answer;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // The legacy callbacks, as Dispatcher#request's handler has them.
    const h = handler as unknown as {
      onConnect(abort: (err?: Error) => void): void;
      onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean;
      onData(chunk: Buffer): boolean;
      onComplete(trailers: Buffer[]): void;
      onError(err: Error): void;
    };
    let aborted: Error | undefined;
    h.onConnect((err) => {
      aborted ??= err ?? new Error('aborted');
    });
    if (this.#closed) {
      h.onError(new Error('memory backends: dispatcher closed'));
      return false;
    }
    let body: string | undefined;
    try {
      body = bodyText(opts.body);
    } catch (err) {
      h.onError(err as Error);
      return true;
    }
    // A macrotask later, as a socket would answer: callers may rely on the call being asynchronous.
    setImmediate(() => {
      if (aborted) return h.onError(aborted);
      this.#answer(opts.method, opts.path, headerObject(opts.headers), body).then(
        (reply) => {
          if (aborted) return h.onError(aborted);
          const text = reply.status === 204 ? '' : JSON.stringify(reply.body);
          const headers: Record<string, string> = {
            ...reply.headers,
            ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
          };
          const raw = Object.entries(headers).flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
          h.onHeaders(reply.status, raw, () => undefined, '');
          if (text) h.onData(Buffer.from(text));
          h.onComplete([]);
        },
        (err: unknown) => h.onError(err instanceof Error ? err : new Error(String(err))),
      );
    });
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(errOrCallback?: Error | null | (() => void), callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const cb = typeof errOrCallback === 'function' ? errOrCallback : callback;
    if (cb) return void queueMicrotask(cb);
    return Promise.resolve();
  }
}

/** The four services in memory (`jwtSecret`: what the auth service's login signs with). */
export function memoryBackends(jwtSecret: string): MemoryBackends {
  const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, createService(name, jwtSecret)])) as Record<
    ServiceName,
    MemoryService
  >;
  const all = SERVICE_NAMES.map((name) => services[name]);
  return { ...services, all, resetAll: () => all.forEach((s) => s.reset()) };
}

/** Used by the fast tier's URLs: never resolved (`.invalid`, RFC 6761), the dispatchers answer instead. */
export const MEMORY_URLS: Readonly<Record<ServiceName, string>> = Object.freeze(
  Object.fromEntries(SERVICE_NAMES.map((name) => [name, `http://${name}.memory.invalid`])) as Record<ServiceName, string>,
);

// The seed is what the services answer from; re-exported for tests that compare against it.
export { seed };
