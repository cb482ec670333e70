/**
 * The one registry of error codes a client can see (Fastify's `FST_ERR_*` idea): each code
 * has its HTTP status and a default message. GraphQL errors carry the code in
 * `extensions.code`; REST errors answer `{"error": code, "message": ...}`.
 * `test/unit/error-codes.test.ts` pins every code and checks the README lists it.
 */
export const errorCodes = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  BAD_USER_INPUT: { status: 400, message: 'An argument is invalid.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
  UPSTREAM_ERROR: { status: 502, message: 'An upstream service answered with an error.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A service is unavailable.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'An upstream service did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;
