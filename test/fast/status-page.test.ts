import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';
import { STATUS_PAGE_CSP } from '../../src/http/routes/status.js';

/**
 * `GET /status` in-process: the server-rendered page, its policy and its two assets. The page
 * in a browser (live updates, the credential form, admin buttons) is status-page-browser.test.ts.
 */
describe('the /status page (server side)', () => {
  const apps: FastApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  async function start(env: Record<string, string> = {}) {
    const app = await startApp({ env, logLevel: 'warn' });
    apps.push(app);
    return app;
  }

  it('public monitoring: four cards with their state, served anonymously as HTML under a strict CSP', async () => {
    const app = await start({ MONITORING_PUBLIC: 'true', FEATURE_SYNC_MONITORING: 'true' });
    await app.app.services.sync.check();
    const res = await app.inject({ method: 'GET', url: '/status' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(STATUS_PAGE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = res.body;
    for (const name of ['auth', 'comment', 'industry', 'nps']) {
      const card = cardOf(html, name);
      expect(card, name).toContain('data-health="healthy"');
      expect(card).toContain('data-breaker="CLOSED"');
      expect(card).toContain('data-sync="in_sync"');
      expect(card).toContain('<span data-field="version">1.0.0</span>');
      expect(card).toContain('<span data-field="breaker">CLOSED</span>');
    }
    expect(html).toContain('data-monitoring="public"');
    // Nothing inline: one script and one style sheet, both from the gateway.
    expect(html).not.toMatch(/<script>|<style|style="|\son[a-z]+=/i);
    expect(html).toMatch(/<script type="module" src="\/status\/status\.js\?v=[0-9a-f]{12}"><\/script>/);
    // Every control has an accessible name.
    for (const button of html.match(/<button[^>]*>/g) ?? [])
      expect(button).toMatch(/aria-label="[^"]+"|type="submit"|id="credential-forget"/);
    expect(html).toContain('<label for="credential-value">');
    expect(html).toContain('id="events" aria-live="polite"');
  });

  it('the latest events server-rendered, newest first: the bus’s breaker, version and cache events, the sync monitor’s own transitions', async () => {
    const app = await start({ MONITORING_PUBLIC: 'true' });
    const { pubsub } = app.app.services.events;
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
    pubsub.publish('service-events', { type: 'breaker', service: 'comment', from: 'CLOSED', to: 'OPEN', at: at(1), replica: 'r2' });
    pubsub.publish('service-events', { type: 'cache', service: null, from: null, to: null, at: at(3), replica: 'r1' });
    // A sync event from the bus is left out: this replica's own monitor records the same transitions.
    pubsub.publish('service-events', { type: 'sync', service: 'nps', from: 'in_sync', to: 'out_of_sync', at: at(4), replica: 'r2' });
    pubsub.publish('service-events', { type: 'version', service: 'nps', from: '1.0.0', to: '<b>1.1.0</b>', at: at(2), replica: 'r2' });
    await new Promise((r) => setTimeout(r, 20));
    const html = (await app.inject({ method: 'GET', url: '/status' })).body;
    const items = [...html.matchAll(/<li data-type="(\w+)">(.*?)<\/li>/g)].map((m) => m[2]!.replace(/<[^>]+>/g, ''));
    expect(items).toEqual([
      `${at(3)} all cache: — → — r1`,
      `${at(2)} nps version: 1.0.0 → &lt;b&gt;1.1.0&lt;/b&gt; r2`,
      `${at(1)} comment breaker: CLOSED → OPEN r2`,
    ]);
  });

  it('private monitoring: the page is served to anyone but carries no state', async () => {
    const app = await start({ MONITORING_PUBLIC: 'false', FEATURE_SYNC_MONITORING: 'true' });
    await app.app.services.sync.check();
    // Even with an admin token: a navigation never carries one, and the page does not look.
    const admin = await app.token('admin-1', 'admin');
    const res = await app.inject({ method: 'GET', url: '/status', headers: { authorization: `Bearer ${admin}` } });
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('data-monitoring="private"');
    expect(html).toContain('data-state="hidden"');
    expect(html).toContain('Monitoring is private');
    expect(html).not.toMatch(/CLOSED|in_sync|healthy"|1\.0\.0/);
    // A bad credential does not matter to an anonymous page either.
    expect((await app.inject({ method: 'GET', url: '/status', headers: { authorization: 'Bearer nonsense' } })).statusCode).toBe(200);
  });

  it('serves its script and style sheet itself, with their content types', async () => {
    const app = await start();
    const js = await app.inject({ method: 'GET', url: '/status/status.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('serviceEvents');
    // No asset from elsewhere: every URL in the script is the gateway's own.
    expect(js.body).not.toMatch(/https?:\/\//);
    const css = await app.inject({ method: 'GET', url: '/status/status.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).not.toMatch(/url\(|@import/);
  });

  it('STATUS_PAGE=false: no page, no assets (404)', async () => {
    const app = await start({ STATUS_PAGE: 'false' });
    for (const url of ['/status', '/status/status.js', '/status/status.css']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

function cardOf(html: string, name: string): string {
  const start = html.indexOf(`<article class="card" data-service="${name}"`);
  expect(start, `card ${name}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</article>', start));
}
