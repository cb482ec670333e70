import { Pool } from 'undici';
import type { Logger } from 'pino';
import type { ServiceName } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { ServiceBreaker, withRetry, budgetSignal } from '../resilience/index.js';
import type { CallContext } from './call-context.js';
import type { ServiceVersions } from './service-versions.js';
import { signRequest } from './signing.js';
import { UpstreamHttpError, breakerOpenError, isBreakerOpen, isNetworkError, parseRetryAfter } from './upstream-errors.js';

export const VERSION_HEADER = 'x-shared-knowledge-version';

/** One finished upstream call, for metrics and request tracing. */
export interface UpstreamCallEvent {
  service: ServiceName;
  method: string;
  /** The path without its query string (bounded cardinality for metrics). */
  route: string;
  status: number | 'error' | 'timeout' | 'rejected';
  durationMs: number;
  attempt: number;
  requestId: string;
}

export interface ServiceClientOptions {
  name: ServiceName;
  baseUrl: string;
  /** The whole budget of one call, retries included (`<NAME>_SERVICE_TIMEOUT`, default `ORCHESTRATION_TIMEOUT`). */
  timeoutMs: number;
  /** Retries after the first try, for idempotent GETs only (`ORCHESTRATION_RETRY_ATTEMPTS`). */
  retries: number;
  breaker: ServiceBreaker;
  versions: ServiceVersions;
  logger: Logger;
  signingSecret?: string;
  /** Keep-alive connections in the pool. */
  connections?: number;
  /** `FEATURE_REQUEST_TRACING`: a debug line per upstream call. */
  traceCalls?: boolean;
  onCall?: (event: UpstreamCallEvent) => void;
}

/**
 * The HTTP client of one upstream service: a keep-alive undici pool, with the call budget,
 * retries, breaker, signing, header propagation and version observation every read shares.
 * Identical concurrent GETs are coalesced into one upstream call.
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
    const call = this.#call<T>('GET', pathWithQuery, ctx).finally(() => this.#inFlight.delete(pathWithQuery));
    this.#inFlight.set(pathWithQuery, call);
    return call;
  }

  /** Sends a JSON body (never retried: not idempotent). */
  sendJson<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', pathWithQuery: string, body: unknown, ctx: CallContext): Promise<T | null> {
    return this.#call<T>(method, pathWithQuery, ctx, JSON.stringify(body));
  }

  /** Headers every outbound request carries (also used by passthrough and health probes). */
  outboundHeaders(method: string, pathWithQuery: string, ctx: CallContext, body?: string | Uint8Array | 'UNSIGNED-PAYLOAD'): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': ctx.requestId, accept: 'application/json' };
    if (ctx.traceparent) headers.traceparent = ctx.traceparent;
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
    if (version) this.#opts.versions.observe(this.name, version.trim(), 'header');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async #call<T>(method: string, pathWithQuery: string, ctx: CallContext, body?: string): Promise<T | null> {
    const budget = budgetSignal(this.#opts.timeoutMs);
    const retries = method === 'GET' ? this.#opts.retries : 0;
    try {
      // The breaker counts failed CALLS (gateway.md: a call is its first try plus its retries),
      // so it wraps the retry loop: one call that fails three tries is one failure, not three.
      return await this.breaker.fire(() =>
        withRetry((attempt, signal) => this.#attempt<T>(method, pathWithQuery, ctx, body, signal, attempt), {
          retries,
          signal: budget.signal,
          shouldRetry: (err) => isNetworkError(err) || (err instanceof UpstreamHttpError && (err.status >= 500 || err.status === 429)),
          retryAfterMs: (err) => (err instanceof UpstreamHttpError ? err.retryAfterMs : undefined),
        }),
      );
    } catch (err) {
      if (err instanceof UpstreamHttpError && err.status === 404) return null;
      throw this.#toGatewayError(err, budget.signal.aborted);
    } finally {
      budget.dispose();
    }
  }

  async #attempt<T>(method: string, pathWithQuery: string, ctx: CallContext, body: string | undefined, signal: AbortSignal, attempt: number): Promise<T> {
    const started = performance.now();
    const route = pathWithQuery.split('?', 1)[0]!;
    const headers = this.outboundHeaders(method, pathWithQuery, ctx, body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: UpstreamCallEvent['status'] = 'error';
    try {
      const res = await untilAborted(this.pool.request({ method: method as 'GET', path: pathWithQuery, headers, body, signal }), signal);
      status = res.statusCode;
      this.observeVersion(res.headers);
      if (res.statusCode >= 400) {
        const errorBody = await res.body.json().catch(() => undefined);
        throw new UpstreamHttpError(this.name, res.statusCode, errorBody, parseRetryAfter(res.headers['retry-after']));
      }
      if (res.statusCode === 204) {
        await res.body.dump();
        return null as T;
      }
      return (await res.body.json()) as T;
    } catch (err) {
      if (signal.aborted && !(err instanceof UpstreamHttpError)) {
        status = 'timeout';
        this.breaker.recordTimeout();
      }
      throw err;
    } finally {
      const event: UpstreamCallEvent = {
        service: this.name,
        method,
        route,
        status,
        durationMs: performance.now() - started,
        attempt,
        requestId: ctx.requestId,
      };
      this.#opts.onCall?.(event);
      if (this.#opts.traceCalls) this.#opts.logger.debug({ upstream: event }, 'upstream call');
    }
  }

  #toGatewayError(err: unknown, timedOut: boolean): GatewayError {
    const service = this.name;
    if (isBreakerOpen(err)) return breakerOpenError(service, err);
    if (timedOut) {
      return new GatewayError('UPSTREAM_TIMEOUT', { service, message: `The ${service} service did not answer within ${this.#opts.timeoutMs} ms.`, cause: err });
    }
    if (err instanceof UpstreamHttpError) {
      if (err.status >= 500 || err.status === 429) {
        return new GatewayError('SERVICE_UNAVAILABLE', { service, message: `The ${service} service failed (HTTP ${err.status}).`, cause: err });
      }
      return new GatewayError('UPSTREAM_ERROR', { service, message: `The ${service} service refused the request (HTTP ${err.status}).`, cause: err });
    }
    if (isNetworkError(err)) {
      return new GatewayError('SERVICE_UNAVAILABLE', { service, message: `The ${service} service is unreachable.`, cause: err });
    }
    // A malformed body or anything unexpected: still the service's fault, never a crash.
    return new GatewayError('UPSTREAM_ERROR', { service, message: `The ${service} service gave an unusable answer.`, cause: err });
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
    pending.then((res) => res.body.dump().catch(() => undefined), () => undefined);
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
