import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../../src/errors/index.js';
import { UpstreamTimeoutError } from '../../../src/resilience/index.js';
import {
  SURFACE_CODES,
  UpstreamHttpError,
  describeFailure,
  isNetworkError,
  isNothingSent,
  toUpstreamGatewayError,
  upstreamFailureOf,
} from '../../../src/upstreams/index.js';

const coded = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });
const map = (err: unknown, surface: 'data' | 'passthrough') => toUpstreamGatewayError(err, { service: 'comment', surface, timeoutMs: 300 });

/** One table turns undici / Node / budget errors into gateway codes, for every surface. */
describe('the one map of foreign upstream errors', () => {
  it("each surface answers a wire failure with its own code, whose status is the registry's", () => {
    const refused = coded('ECONNREFUSED');
    expect(map(refused, 'data')).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      service: 'comment',
      message: 'The comment service is unreachable.',
    });
    expect(map(refused, 'passthrough')).toMatchObject({ code: 'UPSTREAM_ERROR', message: 'The comment service is unreachable.' });
    for (const surface of Object.values(SURFACE_CODES)) {
      expect(errorCodes[surface.timeout].status).toBe(504);
      expect([502, 503]).toContain(errorCodes[surface.unreachable].status);
    }
  });

  it('timeouts from the budget and undici are UPSTREAM_TIMEOUT on both surfaces, found through wrappers', () => {
    const wrapped = coded('SOME_WRAPPER', coded('UND_ERR_HEADERS_TIMEOUT'));
    for (const err of [new UpstreamTimeoutError(300), wrapped, coded('UND_ERR_BODY_TIMEOUT')]) {
      expect(upstreamFailureOf(err)).toBe('timeout');
      expect(map(err, 'data')).toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'The comment service did not answer within 300 ms.' });
      expect(map(err, 'passthrough').code).toBe('UPSTREAM_TIMEOUT');
    }
  });

  it('upstream statuses (data calls): 5xx and 429 are unavailable, other refusals an upstream error; an open breaker says when to retry', () => {
    expect(map(new UpstreamHttpError('comment', 503, undefined), 'data').code).toBe('SERVICE_UNAVAILABLE');
    expect(map(new UpstreamHttpError('comment', 429, undefined), 'data').code).toBe('SERVICE_UNAVAILABLE');
    expect(map(new UpstreamHttpError('comment', 400, undefined), 'data').code).toBe('UPSTREAM_ERROR');
    const open = map(Object.assign(new Error('open'), { code: 'EOPENBREAKER', retryAfterMs: 2500 }), 'passthrough');
    expect(open).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 3 });
  });

  it('anything else is an unusable answer, never a crash', () => {
    expect(map(new SyntaxError('Unexpected token'), 'data')).toMatchObject({
      code: 'UPSTREAM_ERROR',
      message: 'The comment service gave an unusable answer.',
    });
    expect(map('a string', 'passthrough').code).toBe('UPSTREAM_ERROR');
  });

  it('retry rules and health-check words come from the same table', () => {
    const wrapped = new TypeError('fetch failed', { cause: coded('ECONNRESET') });
    expect(isNetworkError(wrapped)).toBe(true);
    expect(isNothingSent(wrapped)).toBe(true);
    expect(isNothingSent(coded('UND_ERR_HEADERS_TIMEOUT'))).toBe(false);
    expect(isNetworkError(new UpstreamHttpError('comment', 500, undefined))).toBe(false);
    expect(describeFailure(coded('ECONNREFUSED'))).toBe('connection refused (ECONNREFUSED)');
    expect(describeFailure(wrapped)).toBe('connection reset (ECONNRESET)');
    expect(describeFailure(coded('EWHATEVER'))).toBe('EWHATEVER');
  });
});
