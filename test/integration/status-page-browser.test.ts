import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { startStack, waitFor, type Stack } from '../support/stack.js';
import { STATUS_PAGE_CSP } from '../../src/http/routes/status.js';

/** "Within a few seconds", with room for a shared, loaded machine. */
const LIVE_MS = 15_000;
const SERVICES = ['auth', 'comment', 'industry', 'nps'];

/**
 * The `/status` page in a real headless Chromium, against a real gateway in front of the
 * reference backends: the four cards, a breaker that opens and an out-of-sync version showing
 * up live (no reload), an admin token and the reset button, private monitoring, JavaScript
 * off, the Content-Security-Policy. Screenshots go to test-results/status-*.png.
 */
describe('the /status page in a browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that records script errors and every CSP violation (console and `securitypolicyviolation`). */
  async function openPage(context: BrowserContext) {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content[- ]Security[- ]Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`Refused to load: CSP violation ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    return { page, problems };
  }

  /** Loads the gateway's `/status` in `page`; resolves with the page's response once it has loaded. */
  function loadStatus(page: Page, stack: Stack) {
    return page.goto(`${stack.url}/status`, { waitUntil: 'load', timeout: 60_000 });
  }

  /** A recording page ({@link openPage}) with `/status` loaded. A test that must listen before the load calls the two itself. */
  async function openStatus(context: BrowserContext, stack: Stack) {
    const { page, problems } = await openPage(context);
    const response = await loadStatus(page, stack);
    return { page, problems, response };
  }

  /** Gives the page a credential (an admin or user token, or an API key) as a person does: typed in, then "Use". */
  async function useCredential(page: Page, credential: string) {
    await page.getByLabel('Admin token or API key').fill(credential);
    await page.getByRole('button', { name: 'Use' }).click();
  }

  const card = (page: Page, service: string) => page.locator(`.card[data-service="${service}"]`);
  const fieldText = (page: Page, service: string, field: string) => card(page, service).locator(`[data-field="${field}"]`).innerText();

  describe('public monitoring', () => {
    let stack: Stack;
    let context: BrowserContext;

    beforeAll(async () => {
      stack = await startStack({
        env: {
          MONITORING_PUBLIC: 'true',
          FEATURE_SYNC_MONITORING: 'true',
          // No scheduled round during a test: the test checks when it changes a version.
          SYNC_CHECK_INTERVAL: String(24 * 3600_000),
          SYNC_AUTO_UPDATE: 'false',
          CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2',
          CIRCUIT_BREAKER_RESET_TIMEOUT: String(3600_000),
        },
        logLevel: 'warn',
      });
      await stack.app.services.sync.check();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    }, 120_000);
    afterAll(async () => {
      await context?.close();
      await stack?.close();
    });

    it('shows four healthy cards, under its CSP header, with no CSP violation', async () => {
      const { page, problems, response } = await openStatus(context, stack);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBe(STATUS_PAGE_CSP);
      await expect.poll(() => page.locator('#live').innerText(), { timeout: LIVE_MS }).not.toBe('as of page load');
      expect(await page.locator('.card').count()).toBe(4);
      for (const service of SERVICES) {
        expect(await card(page, service).getAttribute('data-health')).toBe('healthy');
        expect(await fieldText(page, service, 'breaker')).toBe('CLOSED');
        expect(await fieldText(page, service, 'sync')).toBe('in_sync');
        expect(await fieldText(page, service, 'version')).toBe('1.0.0');
      }
      // Every control has an accessible name.
      for (const button of await page.getByRole('button').all())
        expect((await button.getAttribute('aria-label')) ?? (await button.innerText())).not.toBe('');
      expect(await page.getByLabel('Admin token or API key').count()).toBe(1);
      await screenshot(page, 'status-healthy');
      expect(problems).toEqual([]);
      await page.close();
    }, 120_000);

    it('a failing backend: the card shows the breaker OPEN and the event list the transition without a reload; an admin token and reset bring CLOSED', async () => {
      await stack.reset();
      const { page, problems } = await openStatus(context, stack);
      await expect.poll(() => fieldText(page, 'comment', 'breaker'), { timeout: LIVE_MS }).toBe('CLOSED');
      // Marks this document: still there at the end means no reload happened.
      await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same-document'));
      // No admin buttons without an admin token.
      expect(await page.getByRole('button', { name: 'Reset the comment breaker' }).isVisible()).toBe(false);

      stack.backends.comment.faults.set({ failStatus: 500 });
      const admin = await stack.token('u2', 'admin');
      const breaker = stack.app.services.upstreams.clients.comment.breaker;
      await waitFor(
        async () => {
          await stack.graphql('query($id: ID!) { userDashboard(userId: $id) { degraded } }', { id: 'u1' }, { token: admin });
          return breaker.stats.state === 'OPEN';
        },
        30_000,
        50,
        'the comment breaker to open',
      );

      await expect.poll(() => fieldText(page, 'comment', 'breaker'), { timeout: LIVE_MS }).toBe('OPEN');
      expect(await card(page, 'comment').getAttribute('data-health')).toBe('unhealthy');
      await expect
        .poll(() => page.locator('#events li').first().innerText(), { timeout: LIVE_MS })
        .toMatch(/comment breaker: CLOSED → OPEN/);
      await screenshot(page, 'status-breaker-open');

      await useCredential(page, admin);
      const reset = page.getByRole('button', { name: 'Reset the comment breaker' });
      await reset.waitFor({ state: 'visible', timeout: LIVE_MS });
      stack.backends.comment.faults.set({ failStatus: null });
      await reset.click();
      await expect.poll(() => fieldText(page, 'comment', 'breaker'), { timeout: LIVE_MS }).toBe('CLOSED');
      expect(breaker.stats.state).toBe('CLOSED');
      await expect
        .poll(() => page.locator('#events li').first().innerText(), { timeout: LIVE_MS })
        .toMatch(/comment breaker: OPEN → CLOSED/);
      // The token stays in the tab's session storage and never in a URL.
      expect(page.url()).toBe(`${stack.url}/status`);
      expect(await page.evaluate(() => sessionStorage.getItem('gateway-status-credential'))).toContain(admin);
      expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same-document');
      await screenshot(page, 'status-breaker-reset');
      expect(problems).toEqual([]);
      await page.close();
    }, 180_000);

    it('the other admin buttons: open a breaker (held, forced), clear one service’s cache, force a sync', async () => {
      await stack.reset();
      const { page, problems } = await openStatus(context, stack);
      await useCredential(page, await stack.token('u2', 'admin'));

      await page.getByRole('button', { name: 'Force the nps breaker open' }).click();
      await expect.poll(() => fieldText(page, 'nps', 'breaker'), { timeout: LIVE_MS }).toBe('OPEN');
      expect(await fieldText(page, 'nps', 'forced')).toBe('forced');
      expect(stack.app.services.upstreams.clients.nps.breaker.stats).toMatchObject({ state: 'OPEN', forced: true });

      await page.getByRole('button', { name: 'Clear what is cached from nps' }).click();
      await expect.poll(() => page.locator('#notice').innerText(), { timeout: LIVE_MS }).toMatch(/^clearCache nps: \d+ entries removed$/);
      await expect.poll(() => page.locator('#events').innerText(), { timeout: LIVE_MS }).toMatch(/nps cache/);

      const rounds = stack.backendRequests('auth', '/api/shared-knowledge/status');
      await page.getByRole('button', { name: "Check every service's version now" }).click();
      await expect.poll(() => page.locator('#notice').innerText(), { timeout: LIVE_MS }).toBe('forceSync all services: done');
      expect(stack.backendRequests('auth', '/api/shared-knowledge/status')).toBeGreaterThan(rounds);

      await page.getByRole('button', { name: 'Reset the nps breaker' }).click();
      await expect.poll(() => fieldText(page, 'nps', 'breaker'), { timeout: LIVE_MS }).toBe('CLOSED');
      expect(await fieldText(page, 'nps', 'forced')).toBe('');
      expect(problems).toEqual([]);
      await page.close();
    }, 120_000);

    it('version drift: a backend moves to 1.1.0 and its card shows out_of_sync live', async () => {
      await stack.reset();
      await stack.app.services.sync.check();
      const { page, problems } = await openStatus(context, stack);
      await expect.poll(() => fieldText(page, 'industry', 'sync'), { timeout: LIVE_MS }).toBe('in_sync');
      await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same-document'));

      stack.backends.industry.faults.set({ version: '1.1.0' });
      await stack.app.services.sync.check();

      await expect.poll(() => fieldText(page, 'industry', 'sync'), { timeout: LIVE_MS }).toBe('out_of_sync');
      expect(await fieldText(page, 'industry', 'version')).toBe('1.1.0');
      expect(await fieldText(page, 'industry', 'expectedVersion')).toBe('1.0.0');
      expect(await fieldText(page, 'industry', 'outOfSyncSince')).toMatch(/^\d{4}-\d\d-\d\dT/);
      await expect.poll(() => page.locator('#events').innerText(), { timeout: LIVE_MS }).toMatch(/industry sync: in_sync → out_of_sync/);
      expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same-document');
      await screenshot(page, 'status-out-of-sync');
      expect(problems).toEqual([]);
      await page.close();
    }, 120_000);

    it('with JavaScript off, the server-rendered page shows the current state and the latest events', async () => {
      // The industry service is still on 1.1.0 from the previous test.
      const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
      try {
        const page = await noJs.newPage();
        await loadStatus(page, stack);
        expect(await page.locator('.card').count()).toBe(4);
        expect(await fieldText(page, 'industry', 'sync')).toBe('out_of_sync');
        expect(await fieldText(page, 'industry', 'version')).toBe('1.1.0');
        expect(await fieldText(page, 'auth', 'sync')).toBe('in_sync');
        expect(await fieldText(page, 'auth', 'breaker')).toBe('CLOSED');
        expect(await page.locator('#events li').first().innerText()).toMatch(/industry sync: in_sync → out_of_sync/);
        // Nothing the script would have shown: the credential form needs it.
        expect(await page.locator('#credential').isVisible()).toBe(false);
        await screenshot(page, 'status-no-javascript');
      } finally {
        await noJs.close();
      }
    }, 120_000);

    it('reads well on a phone: one column, nothing wider than the screen (a long out-of-sync card included)', async () => {
      await stack.reset();
      stack.backends.comment.faults.set({ version: '1.1.0-rc.1+build.20261207' });
      await stack.app.services.sync.check();
      const phone = await browser.newContext({
        viewport: { width: 375, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      });
      try {
        const { page, problems } = await openStatus(phone, stack);
        await expect.poll(() => fieldText(page, 'nps', 'breaker'), { timeout: LIVE_MS }).toBe('CLOSED');
        const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
        expect(widths.scroll).toBeLessThanOrEqual(widths.view);
        const boxes = await Promise.all(SERVICES.map((s) => card(page, s).boundingBox()));
        // Stacked: every card starts at the same x, one below the other.
        expect(new Set(boxes.map((b) => Math.round(b!.x))).size).toBe(1);
        await screenshot(page, 'status-phone');
        expect(problems).toEqual([]);
      } finally {
        await phone.close();
      }
    }, 120_000);
  });

  describe('private monitoring (the production default)', () => {
    let stack: Stack;
    const API_KEY = 'status-page-key-0123456789';

    beforeAll(async () => {
      stack = await startStack({
        env: {
          MONITORING_PUBLIC: 'false',
          FEATURE_SYNC_MONITORING: 'true',
          SYNC_CHECK_INTERVAL: String(24 * 3600_000),
          GATEWAY_API_KEYS: `ops:${API_KEY}`,
        },
        logLevel: 'warn',
      });
      await stack.app.services.sync.check();
    }, 120_000);
    afterAll(async () => {
      await stack?.close();
    });

    it('shows no state until an admin token or API key is given; a user token is refused; admin buttons only for the admin token', async () => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const { page, problems } = await openPage(context);
        const graphqlAuth: Array<string | undefined> = [];
        page.on('request', (req) => {
          if (req.url().endsWith('/graphql')) graphqlAuth.push(req.headers()['authorization'] ?? req.headers()['x-api-key']);
        });
        await loadStatus(page, stack);
        await page.locator('#credential').waitFor({ state: 'visible', timeout: LIVE_MS });
        expect(await page.locator('#private-note').isVisible()).toBe(true);
        const noState = async () => {
          const main = await page.locator('#services').innerText();
          return !/CLOSED|OPEN|in_sync|healthy|1\.0\.0/.test(main);
        };
        expect(await noState()).toBe(true);
        // Nothing was asked of /graphql without a credential.
        expect(graphqlAuth).toEqual([]);
        await screenshot(page, 'status-private');

        // A user token: refused by the gateway, still no state, no admin buttons.
        await useCredential(page, await stack.token('u1', 'user'));
        await expect.poll(() => page.locator('#notice').innerText(), { timeout: LIVE_MS }).toMatch(/FORBIDDEN/);
        expect(await noState()).toBe(true);
        expect(await page.locator('.admin').first().isVisible()).toBe(false);

        // An API key (a service principal): the state, but no admin buttons.
        await useCredential(page, API_KEY);
        await expect.poll(() => fieldText(page, 'auth', 'breaker'), { timeout: LIVE_MS }).toBe('CLOSED');
        expect(await fieldText(page, 'auth', 'sync')).toBe('in_sync');
        expect(await page.getByRole('button', { name: 'Reset the auth breaker' }).isVisible()).toBe(false);
        expect(graphqlAuth).toContain(API_KEY);

        // An admin token: the state and the admin buttons.
        const admin = await stack.token('u2', 'admin');
        await useCredential(page, admin);
        await page.getByRole('button', { name: 'Reset the auth breaker' }).waitFor({ state: 'visible', timeout: LIVE_MS });
        expect(graphqlAuth).toContain(`Bearer ${admin}`);
        expect(page.url()).toBe(`${stack.url}/status`);

        // Forget: the state goes away again.
        await page.getByRole('button', { name: 'Forget' }).click();
        await expect.poll(noState, { timeout: LIVE_MS }).toBe(true);
        expect(await page.evaluate(() => sessionStorage.getItem('gateway-status-credential'))).toBeNull();
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 180_000);
  });
});
