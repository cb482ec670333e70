import Fastify from 'fastify';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, recode, requestError, toGraphQLError } from '../../../src/errors/index.js';
import { registerErrorHandling } from '../../../src/http/error-handler.js';
import '../../../src/security/route-config.js';

describe('errors are built one way (errors/graphql-error.ts)', () => {
  it('a request-level refusal carries the registry status, retry-after and its headers under extensions.http', () => {
    const error = requestError('RATE_LIMITED', { message: 'Slow down.', retryAfterSeconds: 5, headers: { 'ratelimit-limit': '3' } });
    expect(error.message).toBe('Slow down.');
    expect(error.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter: 5,
      http: { status: 429, headers: { 'retry-after': '5', 'ratelimit-limit': '3' } },
    });
    expect(requestError('PERSISTED_QUERY_NOT_FOUND').message).toBe('PersistedQueryNotFound');
    expect(requestError('FORBIDDEN').extensions).toEqual({ code: 'FORBIDDEN', http: { status: 403 } });
  });

  it('a field error carries code, service and details, and no HTTP status', () => {
    const error = toGraphQLError(new GatewayError('SERVICE_UNAVAILABLE', { service: 'nps', details: { part: 'nps' } }));
    expect(error.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', service: 'nps', part: 'nps' });
  });

  it('recode keeps the place and extensions of the error it codes', () => {
    const original = new GraphQLError('Argument "id" must not be null.', { path: ['user'], extensions: { hint: 1 } });
    const coded = recode(original, 'BAD_USER_INPUT');
    expect(coded.toJSON()).toEqual({ message: original.message, path: ['user'], extensions: { hint: 1, code: 'BAD_USER_INPUT' } });
  });
});

describe('the HTTP error shape follows the matched route, not the URL', () => {
  const app = Fastify();
  const refusal = new GatewayError('RATE_LIMITED', { message: 'Slow down.', retryAfterSeconds: 7, details: { limit: 3 } });
  beforeAll(async () => {
    registerErrorHandling(app);
    app.get('/api/graph', { config: { errorShape: 'graphql' } }, async () => {
      throw refusal;
    });
    // A path that merely starts like the GraphQL endpoint is a REST route.
    app.get('/graphql-notes', async () => {
      throw refusal;
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it("a route declaring errorShape: 'graphql' answers {errors: [...]} with every extension (details too)", async () => {
    const res = await app.inject({ method: 'GET', url: '/api/graph' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toEqual({ errors: [{ message: 'Slow down.', extensions: { code: 'RATE_LIMITED', retryAfter: 7, limit: 3 } }] });
  });

  it('other routes, whatever their path, answer {"error","message"}', async () => {
    const res = await app.inject({ method: 'GET', url: '/graphql-notes' });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toEqual({ error: 'RATE_LIMITED', message: 'Slow down.', limit: 3 });
  });
});
