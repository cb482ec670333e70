import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { GatewayServices } from '../../context/index.js';
import { RecentEvents } from '../../admin/recent-events.js';
import { STATUS_EVENT_LIMIT, statusSnapshot } from '../../admin/status-snapshot.js';
import { canReadMonitoring } from '../../auth/index.js';
import { renderStatusPage } from '../status-page/render.js';

/**
 * The page's own policy, stricter than the one GraphiQL needs (http-hardening.ts): its
 * script and style come from this gateway only, nothing inline, nothing evaluated.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: string;
  contentType: string;
}

function asset(file: string, contentType: string): Asset {
  return { body: readFileSync(new URL(`../status-page/assets/${file}`, import.meta.url), 'utf8'), contentType };
}

/**
 * `GET /status` (gateway.md): a page for people on call, plus its one script and one style
 * sheet. The HTML is anonymous; the state in it follows the monitoring rule — with
 * `MONITORING_PUBLIC=false` it carries none, and the script asks for an admin token or API
 * key and reads the state through GraphQL with it. Not registered with `STATUS_PAGE=false`.
 */
export function registerStatusRoutes(app: FastifyInstance, services: GatewayServices): void {
  const { config } = services;
  const assets: Record<string, Asset> = {
    'status.js': asset('status.js', 'text/javascript; charset=utf-8'),
    'status.css': asset('status.css', 'text/css; charset=utf-8'),
  };
  const assetVersion = createHash('sha256')
    .update(
      Object.values(assets)
        .map((a) => a.body)
        .join('\0'),
    )
    .digest('hex')
    .slice(0, 12);

  const recent = new RecentEvents(services.events.pubsub.subscribe('service-events'), STATUS_EVENT_LIMIT, (err) =>
    services.logger.warn({ err }, 'the status page stopped reading service events'),
  );
  app.addHook('onClose', async () => recent.close());

  app.get('/status', { config: { anonymous: true } }, async (req, reply) => {
    // Anonymous: the page never sees the person's credential (a navigation sends none), so the
    // state is rendered only when anyone may read it.
    const snapshot = canReadMonitoring(null, config.monitoringPublic) ? await statusSnapshot(services, req.id, recent.list()) : null;
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', STATUS_PAGE_CSP)
      .header('cache-control', 'no-store')
      .send(renderStatusPage({ snapshot, monitoringPublic: config.monitoringPublic, version: config.version, assetVersion }));
  });

  for (const [name, { body, contentType }] of Object.entries(assets)) {
    app.get(`/status/${name}`, { config: { anonymous: true } }, async (_req, reply) =>
      reply
        .header('content-type', contentType)
        .header('content-security-policy', STATUS_PAGE_CSP)
        .header('cache-control', 'public, max-age=3600')
        .send(body),
    );
  }
}
