import type { FastifyInstance } from 'fastify';
import { createRequestContext, type GatewayServices } from '../../context/index.js';
import { GatewayError } from '../../errors/index.js';
import { loadDashboard } from '../../orchestration/dashboard.js';

/**
 * `GET /api/orchestration/user/:userId/dashboard`: the GraphQL `userDashboard` for REST
 * clients, with the same data and rules; failed parts are listed in `errors`.
 */
export function registerDashboardRoute(app: FastifyInstance, services: GatewayServices): void {
  app.get<{ Params: { userId: string } }>('/api/orchestration/user/:userId/dashboard', async (req, reply) => {
    const ctx = createRequestContext(services, {
      principal: req.principal,
      requestId: req.id,
      traceparent: req.trace.traceparent,
      span: req.otelSpan,
      log: req.log,
    });
    let dashboard;
    try {
      dashboard = (await loadDashboard(ctx, req.params.userId)).value;
    } catch (err) {
      // The user itself could not be loaded: the dashboard has nothing to stand on.
      if (err instanceof GatewayError && err.service) {
        throw new GatewayError('SERVICE_UNAVAILABLE', {
          service: err.service,
          message: err.message,
          retryAfterSeconds: err.retryAfterSeconds,
        });
      }
      throw err;
    }
    const parts = { industry: dashboard.industry, recentJobs: dashboard.recentJobs, comments: dashboard.comments, nps: dashboard.nps };
    // The user part too: a stale user standing in for a failing auth service puts auth in `degraded`,
    // and every degraded service has its coded entry here.
    const errors = [dashboard.user, ...Object.values(parts)]
      .map((p) => p.error)
      .filter((e): e is GatewayError => e !== undefined)
      .map((e) => ({ service: e.service, code: e.code, message: e.message }));
    return reply.send({
      user: dashboard.user.value,
      industry: parts.industry.value,
      recentJobs: parts.recentJobs.value,
      comments: parts.comments.value,
      nps: parts.nps.value,
      degraded: dashboard.degraded,
      stale: dashboard.stale,
      errors: dedupeByService(errors),
      generatedAt: dashboard.generatedAt,
    });
  });
}

function dedupeByService<T extends { service?: string }>(errors: T[]): T[] {
  const seen = new Set<string | undefined>();
  return errors.filter((e) => !seen.has(e.service) && seen.add(e.service));
}
