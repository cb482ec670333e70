import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../auth/index.js';
import { continueTrace, type TraceContext } from '../observability/trace-context.js';
import { isHealthRoute, routeConfig } from '../security/route-config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null for anonymous. Set before any handler runs. */
    principal: Principal | null;
    trace: TraceContext;
  }
}

export interface RequestIdentityOptions {
  /**
   * Called when a request's credentials fail verification, before its 401 is sent: may refuse
   * it otherwise (the auth-failure limit answers 429 there). Only failed credentials reach it,
   * so a valid one is never refused because of other requests from its address.
   */
  onAuthFailure?: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * Request identity for every route: the request id (kept when the client's is sane, see
 * `genReqId` in server.ts) echoed on the response, the W3C trace continued, and the
 * principal verified once. Bad credentials are refused here with 401, before any handler.
 * Routes that never look at credentials (load balancers call them with none) are decided on
 * the matched route: the health routes, or `config: { anonymous: true }`.
 * Every answer to a request with a principal says `Cache-Control: private, no-store`
 * (gateway.md): no shared cache may keep one user's answer for another.
 */
export function registerRequestIdentity(app: FastifyInstance, authenticator: Authenticator, options: RequestIdentityOptions = {}): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('trace', null as unknown as TraceContext);

  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    reply.header('x-request-id', req.id);
    req.trace = continueTrace(req.headers.traceparent);
    if (routeConfig(req).anonymous === true || isHealthRoute(req)) return;
    try {
      req.principal = await authenticator.authenticate(req.headers);
    } catch (err) {
      await options.onAuthFailure?.(req, reply);
      throw err;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (req.principal) reply.header('cache-control', 'private, no-store');
    return payload;
  });
}
