import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, startStack, TEST_JWT_SECRET, type Stack } from '../support/stack.js';

/**
 * As a person meets it: `npm run demo` opens GraphiQL with the example dashboard
 * query (`query Dashboard($userId: ID! = "u1")`) and the user token in the headers editor.
 * Pressing ▶ with nothing typed (GraphiQL then sends no variables) must show Ada Lovelace's
 * dashboard. The gateway is started as `scripts/demo.ts` starts it: in-process, in front of the
 * reference backends, with the demo's GraphiQL headers. A real headless Chromium loads the page
 * (the bundled GraphiQL, under the gateway's Content-Security-Policy) and presses the button.
 */
describe('GraphiQL in a browser: the example query runs as it opens', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    const userToken = await mintToken(TEST_JWT_SECRET, 'u1', 'user');
    [stack, browser] = await Promise.all([
      startStack({ app: { graphiql: { headers: { Authorization: `Bearer ${userToken}` } } }, logLevel: 'warn' }),
      launchChromium(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('pressing ▶ with nothing typed shows Ada Lovelace’s dashboard', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const graphqlPosts: Array<Record<string, unknown>> = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().endsWith('/graphql')) graphqlPosts.push(req.postDataJSON() as Record<string, unknown>);
    });

    // A browser's navigation asks for text/html: GraphiQL, not a GraphQL answer.
    const res = await page.goto(`${stack.url}/graphql`, { waitUntil: 'load', timeout: 60_000 });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);

    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ state: 'visible', timeout: 60_000 });
    // The editor holds the example query when it is ready to run.
    await expect
      .poll(() => page.locator('.graphiql-query-editor').innerText(), { timeout: 60_000, interval: 250 })
      .toContain('userDashboard');
    // The run's answer, not the schema's introspection (which may still be in flight).
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('query Dashboard'),
      { timeout: 60_000 },
    );
    await run.click();

    const response = page.locator('.graphiql-response');
    let text = '';
    try {
      // Monaco (GraphiQL's editor) renders spaces as no-break spaces.
      await expect
        .poll(async () => (text = (await response.innerText()).replace(/\u00a0/g, ' ')), { timeout: 60_000, interval: 250 })
        .toContain('Ada Lovelace');
    } finally {
      await screenshot(page, 'graphiql-example-query');
    }
    expect(text).toContain('"userDashboard"');
    // The whole answer (the pane shows only the lines in view): the dashboard, no errors.
    const body = (await (await answer).json()) as {
      data?: { userDashboard?: { user?: { name?: string }; degraded?: string[] } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data?.userDashboard?.user?.name).toBe('Ada Lovelace');
    expect(body.data?.userDashboard?.degraded).toEqual([]);
    // What GraphiQL sent: the example operation, with no variables of its own.
    const sent = graphqlPosts.find((b) => String(b.query).includes('query Dashboard'));
    expect(sent).toBeDefined();
    expect(sent?.variables ?? {}).toEqual({});
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('opens with tabs of example operations: dashboard, batched users, syncStatus, serviceEvents, an admin mutation', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${stack.url}/graphql`, { waitUntil: 'load', timeout: 60_000 });
    const tabs = page.locator('.graphiql-tab');
    await expect
      .poll(() => tabs.allInnerTexts(), { timeout: 60_000, interval: 250 })
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining('Dashboard'),
          expect.stringContaining('Users'),
          expect.stringContaining('SyncStatus'),
          expect.stringContaining('ServiceEvents'),
          expect.stringContaining('OpenBreaker'),
        ]),
      );
    expect(await tabs.count()).toBe(5);
    // The admin tab says where its token goes.
    await tabs.filter({ hasText: 'OpenBreaker' }).click();
    await expect
      .poll(async () => (await page.locator('.graphiql-query-editor').innerText()).replace(/\u00a0/g, ' '), {
        timeout: 30_000,
        interval: 250,
      })
      .toContain('"Headers" tab');
    await screenshot(page, 'graphiql-example-tabs', { fullPage: false });
    await page.close();
  }, 120_000);
});
