import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/index.js';
import { continueTrace, type TraceContext } from '../observability/trace-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null for anonymous. Set before any handler runs. */
    principal: Principal | null;
    trace: TraceContext;
  }
}

/** Routes that never look at credentials (load balancers call them with none). */
function isAnonymousRoute(url: string): boolean {
  return url === '/health' || url.startsWith('/health/') || url.startsWith('/health?');
}

/**
 * Request identity for every route: the request id (kept when the client's is sane, see
 * `genReqId` in server.ts) echoed on the response, the W3C trace continued, and the
 * principal verified once. Bad credentials are refused here with 401, before any handler.
 */
export function registerRequestIdentity(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('trace', null as unknown as TraceContext);

  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    reply.header('x-request-id', req.id);
    req.trace = continueTrace(req.headers.traceparent);
    if (isAnonymousRoute(req.url)) return;
    req.principal = await authenticator.authenticate(req.headers);
  });
}
