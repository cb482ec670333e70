import { errorCodes, type ErrorCode } from './codes.js';

export interface GatewayErrorOptions {
  message?: string;
  /** The upstream service the error is about, when there is one. */
  service?: string;
  /** Seconds a client should wait before trying again (sent as `Retry-After`). */
  retryAfterSeconds?: number;
  cause?: unknown;
  /** Extra fields a client may rely on (go to `extensions` / the JSON body). */
  details?: Record<string, unknown>;
}

/**
 * An error a client is allowed to see. Anything else that escapes is masked as
 * "Unexpected error." and logged (see `src/graphql/mask-error.ts`).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly service?: string;
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    super(options.message ?? errorCodes[code].message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.service = options.service;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }

  /** The JSON body REST routes answer with. */
  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.service ? { service: this.service } : {}),
      ...this.details,
    };
  }
}
