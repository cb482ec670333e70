import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { errorCodes, GatewayError, type ErrorCode } from '../../src/errors/index.js';
import { createMaskError } from '../../src/graphql/mask-error.js';

/** The statuses clients and `gateway.md` rely on (Fastify pins its FST_ERR_* the same way). */
const PINNED: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  UPSTREAM_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
};

/** docs/errors.md: `| \`CODE\` | status | meaning |` rows of its table. */
const section = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map(
  [...section.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(.+?)\s*\|\s*$/gm)].map((m) => [
    m[1]!,
    { status: Number(m[2]), meaning: m[3]! },
  ]),
);

describe('error codes', () => {
  it.each(Object.entries(PINNED))('%s answers %i', (code, status) => {
    expect(errorCodes[code as ErrorCode]?.status).toBe(status);
    expect(new GatewayError(code as ErrorCode).status).toBe(status);
  });

  it('every code has an error status and a default message', () => {
    for (const [code, { status, message }] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(message.length, code).toBeGreaterThan(0);
    }
  });

  it('docs/errors.md has a table of codes', () => {
    expect(documented.size, 'add a table of codes to docs/errors.md').toBeGreaterThan(0);
  });

  it.each(Object.keys(errorCodes))('docs/errors.md lists %s with its status and meaning', (code) => {
    const row = documented.get(code);
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row!.status).toBe(errorCodes[code as ErrorCode].status);
    expect(row!.meaning.length).toBeGreaterThan(5);
  });

  it('docs/errors.md lists no code the registry does not have', () => {
    expect([...documented.keys()].filter((c) => !(c in errorCodes))).toEqual([]);
  });

  it('REST body is {"error","message"} plus service and details, never a stack', () => {
    const err = new GatewayError('SERVICE_UNAVAILABLE', {
      service: 'auth',
      message: 'down',
      cause: new Error('secret internals'),
      details: { retryable: true },
    });
    expect(err.toJSON()).toEqual({ error: 'SERVICE_UNAVAILABLE', message: 'down', service: 'auth', retryable: true });
    expect(JSON.stringify(err)).not.toMatch(/secret internals|stack/);
  });

  describe('GraphQL masking', () => {
    const logger = pino({ level: 'silent' });
    const mask = createMaskError(logger);

    it('a coded error keeps its code and service', () => {
      const wrapped = new GraphQLError('x', { originalError: new GatewayError('UPSTREAM_TIMEOUT', { service: 'nps' }), path: ['a'] });
      const masked = mask(wrapped) as GraphQLError;
      expect(masked.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'nps' });
      expect(masked.path).toEqual(['a']);
    });

    it('a coded error wrapped twice (located by another copy of graphql) keeps its code', () => {
      const inner = new GraphQLError('x', { originalError: new GatewayError('BAD_USER_INPUT') });
      const outer = new GraphQLError('x', { originalError: inner });
      expect((mask(outer) as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
      // Duck-typed: an error named GraphQLError that is not an instance of this copy's class.
      const foreign = Object.assign(new Error('x'), { name: 'GraphQLError', originalError: new GatewayError('FORBIDDEN'), path: ['b'] });
      expect((mask(foreign) as GraphQLError).extensions.code).toBe('FORBIDDEN');
    });

    it('an unexpected error is "Unexpected error." with INTERNAL_SERVER_ERROR, its message and stack hidden', () => {
      const masked = mask(
        new GraphQLError('boom', { originalError: new TypeError('cannot read x of undefined at /src/secret.ts:1') }),
      ) as GraphQLError;
      expect(masked.message).toBe('Unexpected error.');
      expect(masked.extensions.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(masked.toJSON())).not.toMatch(/secret|undefined/);
      expect((mask(new Error('raw')) as GraphQLError).message).toBe('Unexpected error.');
    });

    it("GraphQL's own errors (syntax, validation) pass unchanged", () => {
      const validation = new GraphQLError('Cannot query field "nope" on type "Query".');
      expect(mask(validation)).toBe(validation);
    });
  });
});
