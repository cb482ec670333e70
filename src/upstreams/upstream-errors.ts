import { GatewayError } from '../errors/index.js';

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

/** Node/undici error codes that mean "the service could not be reached or dropped the connection". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const causeCode = ((err as { cause?: { code?: unknown } } | null)?.cause)?.code;
  return (typeof code === 'string' && NETWORK_CODES.has(code)) || (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode));
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

/** The client-facing refusal for a call an open breaker stopped, with a `Retry-After` until its probe. */
export function breakerOpenError(service: string, err: unknown): GatewayError {
  const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs ?? 0;
  return new GatewayError('SERVICE_UNAVAILABLE', {
    service,
    message: `The ${service} service is unavailable (circuit breaker open).`,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    cause: err,
  });
}
