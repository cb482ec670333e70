import { GatewayError, errorMessages, type ErrorCode } from '../errors/index.js';

/** A non-2xx answer from an upstream service. 4xx never counts against its breaker. */
export class UpstreamHttpError extends Error {
  readonly code = 'EUPSTREAMHTTP';
  constructor(
    readonly service: string,
    readonly status: number,
    readonly body: unknown,
    /** Milliseconds from the upstream's `Retry-After`, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(`${service} answered ${status}`);
    this.name = 'UpstreamHttpError';
  }
}

/** What went wrong on the wire, whoever reported it (Node, undici, the call budget). */
export type UpstreamFailure = 'unreachable' | 'reset' | 'timeout';

interface ForeignError {
  failure: UpstreamFailure;
  /** How a health check says it (`health check failed: connection refused (ECONNREFUSED)`). */
  says: string;
  /** No byte of the request can have reached the service: a retry cannot repeat an effect (passthrough retries only these). */
  nothingSent: boolean;
}

/**
 * The one table of foreign error codes the gateway understands. Anything else is an
 * "unusable answer" (a malformed body, a bug): still the service's fault, never a crash.
 */
const FOREIGN_ERRORS: Readonly<Record<string, ForeignError>> = {
  ECONNREFUSED: { failure: 'unreachable', says: 'connection refused', nothingSent: true },
  ENOTFOUND: { failure: 'unreachable', says: 'host not found', nothingSent: true },
  EAI_AGAIN: { failure: 'unreachable', says: 'host name lookup failed', nothingSent: true },
  EHOSTUNREACH: { failure: 'unreachable', says: 'host unreachable', nothingSent: true },
  ENETUNREACH: { failure: 'unreachable', says: 'network unreachable', nothingSent: true },
  UND_ERR_CONNECT_TIMEOUT: { failure: 'unreachable', says: 'connect timeout', nothingSent: true },
  // A kept-alive connection the service had already closed: the request never got through.
  ECONNRESET: { failure: 'reset', says: 'connection reset', nothingSent: true },
  EPIPE: { failure: 'reset', says: 'connection closed while sending', nothingSent: true },
  UND_ERR_SOCKET: { failure: 'reset', says: 'connection closed by the service', nothingSent: true },
  UND_ERR_CLOSED: { failure: 'reset', says: 'connection closed', nothingSent: false },
  ETIMEDOUT: { failure: 'timeout', says: 'timed out', nothingSent: false },
  UND_ERR_HEADERS_TIMEOUT: { failure: 'timeout', says: 'no answer in time', nothingSent: false },
  UND_ERR_BODY_TIMEOUT: { failure: 'timeout', says: 'answer stalled', nothingSent: false },
};

/**
 * The code each surface answers a failure with; its HTTP status is the code's own
 * (errors/codes.ts): SERVICE_UNAVAILABLE 503, UPSTREAM_TIMEOUT 504, UPSTREAM_ERROR 502.
 * Data calls (GraphQL, REST dashboard) say the service is unavailable; passthrough answers
 * as an HTTP proxy does (502 Bad Gateway). Both say 503 for an open breaker and 504 for a
 * spent budget. Upstream statuses: data calls map them ({@link httpStatusCode}); passthrough relays them.
 */
export const SURFACE_CODES = {
  data: { unreachable: 'SERVICE_UNAVAILABLE', reset: 'SERVICE_UNAVAILABLE', timeout: 'UPSTREAM_TIMEOUT', unusable: 'UPSTREAM_ERROR' },
  passthrough: { unreachable: 'UPSTREAM_ERROR', reset: 'UPSTREAM_ERROR', timeout: 'UPSTREAM_TIMEOUT', unusable: 'UPSTREAM_ERROR' },
} as const satisfies Record<string, Record<UpstreamFailure | 'unusable', ErrorCode>>;
export type UpstreamSurface = keyof typeof SURFACE_CODES;

/** The most specific known foreign code of an error and its causes (undici wraps Node's). */
export function foreignCodeOf(err: unknown): string | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (typeof e.code === 'string' && e.code in FOREIGN_ERRORS) {
      // A wrapper's code may hide a more telling one inside (undici's over Node's): prefer the inner if known.
      const inner = foreignCodeOf(e.cause);
      return inner ?? e.code;
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

/** What a failed call amounts to, or undefined when it is not a wire failure (an HTTP status, a bad body…). */
export function upstreamFailureOf(err: unknown): UpstreamFailure | undefined {
  const code = foreignCodeOf(err);
  return code ? FOREIGN_ERRORS[code]!.failure : undefined;
}

/** Whether the service could not be reached, dropped the connection or timed out (worth a retry for an idempotent read). */
export function isNetworkError(err: unknown): boolean {
  return foreignCodeOf(err) !== undefined;
}

/** Whether no byte of the request reached the service, so even a request with effects may be retried. */
export function isNothingSent(err: unknown): boolean {
  const code = foreignCodeOf(err);
  return code !== undefined && FOREIGN_ERRORS[code]!.nothingSent;
}

/** A health check's words for a failure: `connection refused (ECONNREFUSED)`. */
export function describeFailure(err: unknown): string {
  const code = foreignCodeOf(err);
  if (code) return `${FOREIGN_ERRORS[code]!.says} (${code})`;
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | null;
  const other = e?.code ?? e?.cause?.code ?? e?.message;
  return typeof other === 'string' ? other : 'network error';
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Whether an error is the breaker refusing a call (opossum's `EOPENBREAKER`). */
export function isBreakerOpen(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EOPENBREAKER';
}

/** The code a data call answers an upstream HTTP status with: its 5xx/429 mean "unavailable", any other refusal is an upstream error. */
export function httpStatusCode(status: number): ErrorCode {
  return status >= 500 || status === 429 ? 'SERVICE_UNAVAILABLE' : 'UPSTREAM_ERROR';
}

export interface UpstreamErrorInput {
  service: string;
  surface: UpstreamSurface;
  /** The budget of the call, for the message. */
  timeoutMs: number;
  /** The call's own budget ran out (whatever error the socket then reported). */
  timedOut?: boolean;
}

/**
 * The one map from whatever an upstream call threw to the coded error the client sees,
 * for every surface (see {@link SURFACE_CODES}). A `GatewayError` passes through unchanged.
 */
export function toUpstreamGatewayError(err: unknown, { service, surface, timeoutMs, timedOut = false }: UpstreamErrorInput): GatewayError {
  if (err instanceof GatewayError) return err;
  if (isBreakerOpen(err)) return breakerOpenError(service, err);
  const codes = SURFACE_CODES[surface];
  const failure = timedOut ? 'timeout' : upstreamFailureOf(err);
  if (failure === 'timeout') {
    return new GatewayError(codes.timeout, {
      service,
      message: errorMessages.serviceTimedOut(service, timeoutMs),
      cause: err,
    });
  }
  if (err instanceof UpstreamHttpError) {
    const code = httpStatusCode(err.status);
    const message =
      code === 'SERVICE_UNAVAILABLE' ? errorMessages.serviceFailed(service, err.status) : errorMessages.serviceRefused(service, err.status);
    return new GatewayError(code, { service, message, cause: err });
  }
  if (failure) return new GatewayError(codes[failure], { service, message: errorMessages.serviceUnreachable(service), cause: err });
  return new GatewayError(codes.unusable, { service, message: errorMessages.serviceUnusable(service), cause: err });
}

/** The client-facing refusal for a call an open breaker stopped, with a `Retry-After` until its probe. */
export function breakerOpenError(service: string, err: unknown): GatewayError {
  const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs ?? 0;
  return new GatewayError('SERVICE_UNAVAILABLE', {
    service,
    message: errorMessages.breakerOpen(service),
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    cause: err,
  });
}
