/**
 * The one registry of error codes a client can see (Fastify's `FST_ERR_*` idea): each code
 * has its HTTP status and a default message. GraphQL errors carry the code in
 * `extensions.code`; REST errors answer `{"error": code, "message": ...}`.
 * `test/unit/error-codes.test.ts` pins every code and checks docs/errors.md lists it.
 */
export const errorCodes = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  BAD_USER_INPUT: { status: 400, message: 'An argument is invalid.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  // The answer, not the request, is too large: 413 (Content Too Large) still tells the client to ask for less.
  RESPONSE_TOO_LARGE: { status: 413, message: 'The answer is larger than the response size limit and was not sent.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line and headers are larger than the limit.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The GraphQL document is not valid syntax, or is over the token limit.' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    message: 'The GraphQL operation is invalid for the schema, or over a depth, alias, directive or cost limit.',
  },
  PERSISTED_QUERY_NOT_FOUND: { status: 404, message: 'PersistedQueryNotFound' },
  PERSISTED_QUERY_MISMATCH: { status: 400, message: 'The persisted query hash is not the SHA-256 of the query sent with it.' },
  PERSISTED_QUERY_ONLY: {
    status: 400,
    message: 'Only trusted persisted operations run on this gateway: send extensions.persistedQuery.sha256Hash without a query.',
  },
  FEATURE_DISABLED: { status: 501, message: 'This feature is switched off on this gateway.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error.' },
  UPSTREAM_ERROR: { status: 502, message: 'An upstream service answered with an error.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A service is unavailable.' },
  TOO_MANY_SUBSCRIPTIONS: { status: 503, message: 'This gateway replica serves its maximum of open subscriptions; retry later.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'An upstream service did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;
