import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardDocument } from '../generated/graphql.js';
import { startApp, type FastApp } from '../support/app.js';

/**
 * 13.8: varying the body made a new whole-response entry each time; 400 requests evicted
 * another principal's responses. Each principal now holds at most
 * RESPONSE_CACHE_MAX_PER_PRINCIPAL entries, its own oldest evicted first.
 */
describe("response cache: one principal cannot take the others' share (13.8)", () => {
  let stack: FastApp;
  let victim: string;
  let flooder: string;
  const responseHits = () => stack.app.services.metrics!.requests.responseCache.hits;
  // ~5 KB answers: 400 of them are more than the 1 MB cache, 100 (the default share) are not.
  const flood = (i: number) => `query Flood { industries { id name sector recentJobs(limit: 4) { id title company postedAt } } } # ${i}`;

  beforeAll(async () => {
    stack = await startApp({ env: { CACHE_MAX_BYTES: String(1024 * 1024), RATE_LIMIT_MAX: '100000' } });
    victim = await stack.token('u1');
    flooder = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());

  it("principal A's cached response survives 400 distinct queries from principal B", async () => {
    // Keys carry each service's version: the first answer teaches them, the second is kept.
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: victim });
    const first = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: victim });
    expect(first.body.errors).toBeUndefined();
    const kept = responseHits();
    expect((await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: victim })).body).toEqual(first.body);
    expect(responseHits()).toBe(kept + 1);
    const probe = await stack.graphql(flood(-1), {}, { token: flooder });
    expect(probe.body.errors).toBeUndefined();
    expect(JSON.stringify(probe.body).length).toBeGreaterThan(3000);

    for (let i = 0; i < 400; i++) {
      const { status } = await stack.graphql(flood(i), {}, { token: flooder });
      expect(status).toBe(200);
    }
    const calls = stack.backendRequests();
    const hits = responseHits();
    const again = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token: victim });
    expect(again.body).toEqual(first.body); // the very response kept, generatedAt included
    expect(stack.backendRequests()).toBe(calls);
    expect(responseHits()).toBe(hits + 1);

    // B's own newest answers are kept, its oldest gave way to them.
    const newest = responseHits();
    await stack.graphql(flood(399), {}, { token: flooder });
    expect(responseHits()).toBe(newest + 1);
    await stack.graphql(flood(0), {}, { token: flooder });
    expect(responseHits()).toBe(newest + 1);
  }, 120_000);
});
