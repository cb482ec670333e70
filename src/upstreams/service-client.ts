import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { ServiceName } from '../config/index.js';
import { ServiceBreaker, withRetry, budgetSignal } from '../resilience/index.js';
import type { CallContext } from './call-context.js';
import type { ServiceVersions } from './service-versions.js';
import { UNSIGNED_PAYLOAD, signRequest } from './signing.js';
import { UpstreamHttpError, isNetworkError, parseRetryAfter, toUpstreamGatewayError, upstreamFailureOf } from './upstream-errors.js';

export const VERSION_HEADER = 'x-shared-knowledge-version';

/** How one attempt of an upstream call ended: its HTTP status, or what stopped it. */
export type UpstreamCallStatus = number | 'error' | 'timeout' | 'rejected';

/** One finished attempt of an upstream call, for metrics and the request-tracing log line. */
export interface UpstreamCallEvent {
  service: ServiceName;
  method: string;
  /** The path without its query string (bounded cardinality for metrics). */
  route: string;
  status: UpstreamCallStatus;
  durationMs: number;
  attempt: number;
  requestId: string;
}

/**
 * Where the telemetry of every upstream call goes, wired once by the composition root:
 * a client span per call and a metric per attempt. Structural, so `upstreams/` needs no
 * observability class.
 */
export interface UpstreamTelemetry {
  /**
   * Starts the client span of one call under `parent` (the caller's span, from its call
   * context), with the W3C `traceparent` that names it as the parent of the upstream request.
   */
  startCallSpan?(name: string, attributes: Record<string, string | number>, parent?: Span): { span: Span; traceparent: string } | undefined;
  /** One attempt finished. */
  recordAttempt?(event: UpstreamCallEvent): void;
}

export interface ServiceClientOptions {
  name: ServiceName;
  baseUrl: string;
  /** The whole budget of one call, retries included (`<NAME>_SERVICE_TIMEOUT`, default `ORCHESTRATION_TIMEOUT`). */
  timeoutMs: number;
  /** Retries after the first try, for idempotent GETs only (`ORCHESTRATION_RETRY_ATTEMPTS`). */
  retries: number;
  breaker: ServiceBreaker;
  /** Receives the version each answer carries (passive sync detection); none for the CLI. */
  versions?: ServiceVersions;
  logger?: Logger;
  signingSecret?: string;
  /** Keep-alive connections in the pool. */
  connections?: number;
  /** `FEATURE_REQUEST_TRACING`: a debug line per upstream call. */
  traceCalls?: boolean;
  telemetry?: UpstreamTelemetry;
}

/** One call through {@link ServiceClient.request}. */
export interface UpstreamRequest<T> {
  method: string;
  /** Exactly the request target sent (and signed), e.g. `/api/users?ids=u1,u2`. */
  pathWithQuery: string;
  ctx: CallContext;
  /**
   * The body: a string is JSON (sent with `content-type: application/json`); bytes are sent and
   * signed as they are; a stream is sent as it arrives, unsigned (it cannot be hashed first).
   */
  body?: string | Buffer | Readable;
  /**
   * The headers sent, built from the gateway's own (request id, identity, traceparent,
   * signature) for each attempt. Default: those alone. Passthrough adds the client's.
   */
  headers?: (own: Record<string, string>) => Record<string, string | string[]>;
  /** The connection pool. Default: the client's data pool (passthrough brings its own). */
  dispatcher?: Dispatcher;
  /** Retries after the first try. Default: the client's for GET, none otherwise (not idempotent). */
  retries?: number;
  /**
   * Whether a failed attempt is worth another try. Default: a network error, a 5xx or a 429.
   * Passthrough retries only failures where no byte reached the service.
   */
  shouldRetry?: (err: unknown) => boolean;
  /**
   * The caller's own fault hidden in a failure (an oversized upload, a client gone away): it is
   * thrown as it is, counted neither by the breaker nor as the service's failure.
   */
  callerFault?: (err: unknown) => Error | undefined;
  /** More telemetry for this call: span parent, route label, attributes, log fields. */
  track?: TrackOptions;
  /** Counted by (and refused by) the service's breaker. Default true; health probes bypass it. */
  breaker?: boolean;
  /** The call's budget in ms, retries and the wait for a connection included. Default: the service's. */
  timeoutMs?: number;
  /**
   * `'call'` (default): `timeoutMs` bounds the whole call. `'silence'`: it bounds the time to the
   * answer's headers once the request is sent, and any silence in the answer's body (undici's own
   * `headersTimeout` and `bodyTimeout`): a streamed upload may take as long as it keeps moving.
   */
  timeoutKind?: 'call' | 'silence';
  /** Ends the call early (a shutdown, a check's own deadline). */
  signal?: AbortSignal;
  /** Report the version header to the version registry. Default true; a health check reports what it read itself. */
  observeVersion?: boolean;
  /** Turns an answer into the result; throw an {@link UpstreamHttpError} for a failed status. Runs inside the budget. */
  read(res: Dispatcher.ResponseData): Promise<T>;
}

/** What a caller with a transport of its own (passthrough) adds to {@link ServiceClient.track}. */
export interface TrackOptions {
  /** The route label of metrics and logs (default: the path without its query). */
  route?: string;
  attributes?: Record<string, string | number>;
  /** More fields of the request-tracing log line. */
  log?: Record<string, unknown>;
  /** Writes that line (the request's own logger, with its bindings); default the client's. */
  logger?: Pick<Logger, 'debug'>;
}

/** Tracks one call: its span, the traceparent to send, a metric and log line per attempt. */
interface UpstreamCallTracker {
  /** The traceparent to send upstream: the call span's own context when there is a span. */
  readonly traceparent?: string;
  attempt(status: UpstreamCallStatus, durationMs: number, attempt: number): void;
  /** Ends the span (idempotent); `status` is the call's last. */
  end(status: UpstreamCallStatus, error?: string): void;
}

/**
 * The HTTP client of one upstream service: a keep-alive undici pool and the one pipeline every
 * outbound call of the gateway goes through — call budget, retries, breaker, signing, header
 * propagation, version observation, span and metrics. Identical concurrent GETs of data are
 * coalesced into one upstream call.
 */
export class ServiceClient {
  readonly name: ServiceName;
  readonly baseUrl: string;
  readonly pool: Pool;
  readonly breaker: ServiceBreaker;
  /** This service's call budget in ms (data calls; passthrough's default unless `PASSTHROUGH_TIMEOUT` is set). */
  readonly timeoutMs: number;
  readonly #opts: ServiceClientOptions;
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(opts: ServiceClientOptions) {
    this.#opts = opts;
    this.name = opts.name;
    this.baseUrl = opts.baseUrl;
    this.breaker = opts.breaker;
    this.timeoutMs = opts.timeoutMs;
    this.pool = new Pool(opts.baseUrl, {
      connections: opts.connections ?? 64,
      keepAliveTimeout: 30_000,
      // The call budget is enforced with an AbortSignal; these only stop a dead socket from lingering.
      headersTimeout: Math.max(opts.timeoutMs, 1000) + 1000,
      bodyTimeout: Math.max(opts.timeoutMs, 1000) + 1000,
    });
  }

  /**
   * GETs JSON. A 404 resolves to `null` (it means "does not exist", not "service down");
   * any other failure rejects with a coded `GatewayError`.
   */
  getJson<T>(pathWithQuery: string, ctx: CallContext): Promise<T | null> {
    // Identical reads in flight share one call. Bodies are treated as immutable by callers.
    const pending = this.#inFlight.get(pathWithQuery);
    if (pending) return pending as Promise<T | null>;
    // One `then` for both outcomes: a promise per call fewer than `.catch().finally()`.
    const call = this.request<T | null>({
      method: 'GET',
      pathWithQuery,
      ctx,
      read: this.#readJson as (res: Dispatcher.ResponseData) => Promise<T | null>,
    }).then(
      (value) => {
        this.#inFlight.delete(pathWithQuery);
        return value;
      },
      (err: unknown) => {
        this.#inFlight.delete(pathWithQuery);
        if (err instanceof UpstreamHttpError && err.status === 404) return null;
        throw toUpstreamGatewayError(err, { service: this.name, surface: 'data', timeoutMs: this.timeoutMs });
      },
    );
    this.#inFlight.set(pathWithQuery, call);
    return call;
  }

  /**
   * The one request path. Rejects with what went wrong, unmapped (an {@link UpstreamHttpError}
   * from `read`, a network error, the budget's `UpstreamTimeoutError`, the breaker's
   * refusal): each surface maps it with `toUpstreamGatewayError`.
   */
  async request<T>(req: UpstreamRequest<T>): Promise<T> {
    const { method, pathWithQuery, ctx } = req;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const silenceMs = req.timeoutKind === 'silence' ? timeoutMs : undefined;
    const budget = budgetSignal(silenceMs === undefined ? timeoutMs : Infinity, req.signal);
    const tracker = this.#track(method, pathWithQuery, ctx, req.track);
    let last: UpstreamCallStatus = 'rejected';
    const attempts = (): Promise<T> =>
      withRetry(
        // One async frame per attempt: the request, its answer and its telemetry.
        async (attempt, signal) => {
          const started = performance.now();
          last = 'error';
          try {
            const { body } = req;
            const own = this.#outboundHeaders(method, pathWithQuery, ctx, tracker.traceparent, isStream(body) ? UNSIGNED_PAYLOAD : body);
            if (typeof body === 'string') own['content-type'] = 'application/json';
            const options: Dispatcher.RequestOptions = {
              method: method as Dispatcher.HttpMethod,
              path: pathWithQuery,
              headers: req.headers ? req.headers(own) : own,
              body,
              signal,
            };
            if (silenceMs !== undefined) options.headersTimeout = options.bodyTimeout = silenceMs;
            const res = await untilAborted((req.dispatcher ?? this.pool).request(options), signal);
            last = res.statusCode;
            if (req.observeVersion !== false) this.observeVersion(res.headers);
            return await req.read(res);
          } catch (err) {
            if (req.callerFault?.(err)) {
              last = 'error';
              throw new CallerFault(err);
            }
            if ((signal.aborted && !(err instanceof UpstreamHttpError)) || upstreamFailureOf(err) === 'timeout') {
              last = 'timeout';
              if (req.breaker !== false) this.breaker.recordTimeout();
            }
            throw err;
          } finally {
            tracker.attempt(last, performance.now() - started, attempt);
          }
        },
        {
          retries: req.retries ?? (method === 'GET' ? this.#opts.retries : 0),
          signal: budget.signal,
          shouldRetry: req.shouldRetry ?? isRetryable,
          retryAfterMs: (err) => (err instanceof UpstreamHttpError ? err.retryAfterMs : undefined),
        },
      );
    try {
      // The breaker counts failed CALLS (gateway.md: a call is its first try plus its retries),
      // so it wraps the retry loop: one call that fails three tries is one failure, not three.
      const value = await (req.breaker === false ? attempts() : this.breaker.fire(attempts));
      tracker.end(last);
      return value;
    } catch (err) {
      if (err instanceof CallerFault) {
        tracker.end(last, 'the caller ended the call');
        throw req.callerFault!(err.cause)!;
      }
      tracker.end(last, upstreamFailureOf(err) ?? (err as Error)?.message);
      throw err;
    } finally {
      budget.dispose();
    }
  }

  /**
   * Starts the telemetry of one call: a client span, whose context is the traceparent sent,
   * and a metric and a log line per attempt.
   */
  #track(method: string, pathWithQuery: string, ctx: CallContext, extra?: TrackOptions): UpstreamCallTracker {
    const query = pathWithQuery.indexOf('?');
    const path = query === -1 ? pathWithQuery : pathWithQuery.slice(0, query);
    const route = extra?.route ?? path;
    const { telemetry, traceCalls, logger } = this.#opts;
    const started = telemetry?.startCallSpan?.(
      `${method} ${this.name}`,
      { 'gateway.service': this.name, 'http.request.method': method, 'url.path': path, ...extra?.attributes },
      ctx.span,
    );
    const span = started?.span;
    let ended = false;
    return {
      traceparent: started?.traceparent ?? ctx.traceparent,
      attempt: (status, durationMs, attempt) => {
        span?.setAttribute('gateway.attempt', attempt);
        const record = status === 'rejected' ? undefined : telemetry?.recordAttempt;
        const log = traceCalls ? (extra?.logger ?? logger) : undefined;
        // This runs for every attempt of every call: the event is built only when someone takes it.
        const logs = log !== undefined && debugEnabled(log);
        if (!record && !logs) return;
        const event: UpstreamCallEvent = { service: this.name, method, route, status, durationMs, attempt, requestId: ctx.requestId };
        record?.(event);
        if (logs) log.debug({ upstream: { ...event, ...extra?.log } }, 'upstream call');
      },
      end: (status, error) => {
        if (!span || ended) return;
        ended = true;
        span.setAttribute('gateway.upstream_status', String(status));
        if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
        if (typeof status !== 'number' || status >= 500 || error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
        span.end();
      },
    };
  }

  /** Headers every outbound request carries. */
  #outboundHeaders(
    method: string,
    pathWithQuery: string,
    ctx: CallContext,
    traceparent: string | undefined,
    body?: string | Uint8Array | typeof UNSIGNED_PAYLOAD,
  ): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': ctx.requestId, accept: 'application/json' };
    if (traceparent) headers.traceparent = traceparent;
    if (ctx.principal) {
      headers['x-user-id'] = ctx.principal.id;
      headers['x-user-role'] = ctx.principal.role;
    }
    if (this.#opts.signingSecret) Object.assign(headers, signRequest(this.#opts.signingSecret, { method, pathWithQuery, body }));
    return headers;
  }

  /** Records the version a response carried, at once (passive sync detection). */
  observeVersion(headers: Record<string, string | string[] | undefined>): void {
    const v = headers[VERSION_HEADER];
    const version = Array.isArray(v) ? v[0] : v;
    if (version) this.#opts.versions?.observe(this.name, version.trim(), 'header');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * Not async: an answer's body is the body's own promise, without a frame of this method around
   * it. An arrow property, so every GET passes the same function rather than a new closure.
   */
  readonly #readJson = <T>(res: Dispatcher.ResponseData): Promise<T | null> => {
    if (res.statusCode >= 400) {
      return res.body.json().then(
        (errorBody) => this.#httpError(res, errorBody),
        () => this.#httpError(res, undefined),
      );
    }
    if (res.statusCode === 204) return res.body.dump().then(() => null);
    return res.body.json() as Promise<T>;
  };

  #httpError(res: Dispatcher.ResponseData, errorBody: unknown): never {
    throw new UpstreamHttpError(this.name, res.statusCode, errorBody, parseRetryAfter(res.headers['retry-after']));
  }
}

/** The default retry rule of data calls: a network error, a 5xx or a 429 may go better next time. */
function isRetryable(err: unknown): boolean {
  return isNetworkError(err) || (err instanceof UpstreamHttpError && (err.status >= 500 || err.status === 429));
}

/** Whether a logger writes debug lines (a pino logger says; any other is taken to). */
function debugEnabled(log: Pick<Logger, 'debug'>): boolean {
  const { isLevelEnabled } = log as Partial<Pick<Logger, 'isLevelEnabled'>>;
  return typeof isLevelEnabled !== 'function' || isLevelEnabled.call(log, 'debug');
}

function isStream(body: UpstreamRequest<unknown>['body']): body is Readable {
  return body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
}

/** Whether an error is a caller's fault carried through the breaker (which must not count it). */
export function isCallerFault(err: unknown): boolean {
  return err instanceof CallerFault;
}

/** Carries a caller's fault through the breaker untouched: it says nothing about the service. */
class CallerFault extends Error {
  constructor(override readonly cause: unknown) {
    super('the caller ended the call');
  }
}

/**
 * undici's `pool.request` honours `signal` only once the request holds a connection: one
 * queued behind a busy pool waits for a free connection however long that takes. The call
 * budget includes that wait (gateway.md), so give up at the signal; undici drops the queued
 * request when its turn comes (the signal is already aborted), and a late answer is discarded.
 */
function untilAborted<T extends { body: { dump(): Promise<void> } }>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    pending.then(
      (res) => res.body.dump().catch(() => undefined),
      () => undefined,
    );
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) void res.body.dump().catch(() => undefined);
        else resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(err as Error);
      },
    );
  });
}
