import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seed } from '../../reference-backends/index.js';
import { DashboardDocument, IndustriesDocument, UserDocument, UsersDocument } from '../generated/graphql.js';
import { startStack, type Stack } from '../support/stack.js';

/** The dashboard and the data reads equal the backends' data, field by field. */
describe('core: dashboard data equals the backends', () => {
  let stack: Stack;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.token('u2', 'admin');
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await stack.reset();
  });

  const expectedUser = (id: string) => {
    const u = seed.getUser(id)!;
    return { id: u.id, name: u.name, email: u.email, role: u.role };
  };

  it('userDashboard of u1 is the seeded user, industry, 5 newest jobs, 10 newest comments and latest NPS', async () => {
    const token = await stack.token('u1');
    const { status, body } = await stack.graphql(DashboardDocument, { userId: 'u1' }, { token });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const d = body.data!.userDashboard!;
    const user = seed.getUser('u1')!;
    const industry = seed.getIndustry(user.industryId!)!;
    expect(d.user).toEqual(expectedUser('u1'));
    expect(d.industry).toEqual({ id: industry.id, name: industry.name, sector: industry.sector });
    expect(d.recentJobs).toEqual(
      seed.recentJobs(industry.id, 5).map((j) => ({ id: j.id, title: j.title, company: j.company, postedAt: j.postedAt })),
    );
    expect(d.comments).toHaveLength(10);
    expect(d.comments).toEqual(seed.latestComments('u1', 10).map((c) => ({ id: c.id, body: c.body, createdAt: c.createdAt })));
    const nps = seed.latestNps('u1')!;
    expect(d.nps).toEqual({ score: nps.score, respondedAt: nps.respondedAt });
    expect(nps.score).toBe(9);
    expect(d.degraded).toEqual([]);
    expect(Number.isNaN(Date.parse(d.generatedAt))).toBe(false);
  });

  it.each(['u130', 'u70'])('%s (no industry; no comments or no NPS) gets empty parts, not degraded ones', async (target) => {
    // Seed rules: every 10th user has no industry, every 13th no comments, every 7th no NPS answer.
    const { body } = await stack.graphql(DashboardDocument, { userId: target }, { token: admin });
    expect(body.errors).toBeUndefined();
    const d = body.data!.userDashboard!;
    expect(d.user).toEqual(expectedUser(target));
    expect(d.industry).toBeNull();
    expect(d.recentJobs).toEqual([]);
    expect(d.comments).toEqual(seed.latestComments(target, 10).map((c) => ({ id: c.id, body: c.body, createdAt: c.createdAt })));
    const nps = seed.latestNps(target);
    expect(d.nps).toEqual(nps ? { score: nps.score, respondedAt: nps.respondedAt } : null);
    expect(d.degraded).toEqual([]);
    // Nothing to ask the industry service for.
    expect(stack.backendRequests('industry')).toBe(0);
  });

  it('user(id:) with nested fields and limits equals the backends', async () => {
    const { body } = await stack.graphql(UserDocument, { id: 'u1' }, { token: admin });
    expect(body.errors).toBeUndefined();
    const u = body.data!.user!;
    const seeded = seed.getUser('u1')!;
    const industry = seed.getIndustry(seeded.industryId!)!;
    expect(u).toEqual({
      ...expectedUser('u1'),
      industry: {
        id: industry.id,
        name: industry.name,
        sector: industry.sector,
        recentJobs: seed.recentJobs(industry.id, 2).map((j) => ({ id: j.id, title: j.title, industry: { id: industry.id } })),
      },
      comments: seed.latestComments('u1', 2).map((c) => ({ id: c.id, body: c.body })),
      recentJobs: seed.recentJobs(industry.id, 5).map((j) => ({ id: j.id })),
      nps: { score: seed.latestNps('u1')!.score },
    });
  });

  it('users(ids:) answers in the order asked, null for an unknown id', async () => {
    const ids = ['u7', 'nope', 'u3', 'u10', 'u1'];
    const { body } = await stack.graphql(UsersDocument, { ids }, { token: admin });
    expect(body.errors).toBeUndefined();
    const users = body.data!.users;
    expect(users.map((u) => u?.id ?? null)).toEqual(['u7', null, 'u3', 'u10', 'u1']);
    for (const u of users) {
      if (!u) continue;
      const s = seed.getUser(u.id)!;
      expect(u.name).toBe(s.name);
      expect(u.industry).toEqual(s.industryId ? { id: s.industryId, name: seed.getIndustry(s.industryId)!.name } : null);
      const nps = seed.latestNps(u.id);
      expect(u.nps).toEqual(nps ? { score: nps.score } : null);
      expect(u.comments).toEqual(seed.latestComments(u.id, 3).map((c) => ({ id: c.id })));
    }
  });

  it('industries lists every seeded industry', async () => {
    const { body } = await stack.graphql(IndustriesDocument, {}, { token: admin });
    expect(body.errors).toBeUndefined();
    const got = [...body.data!.industries].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    expect(got).toEqual(seed.industries.map((i) => ({ id: i.id, name: i.name, sector: i.sector })));
  });

  it('limit above 100 is BAD_USER_INPUT and reaches no backend for that field', async () => {
    const { body } = await stack.graphql('query { user(id: "u1") { id comments(limit: 101) { id } } }', {}, { token: admin });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.backendRequests('comment')).toBe(0);
  });

  it('every upstream call carries the request id, traceparent, the caller and a valid signature', async () => {
    const token = await stack.token('u1');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await stack.graphql(DashboardDocument, { userId: 'u1' }, { token, headers: { 'x-request-id': 'core-dash-1', traceparent } });
    const requests = stack.backends.all.flatMap((s) => s.requests.all());
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const r of requests) {
      expect(r.headers['x-request-id']).toBe('core-dash-1');
      expect(String(r.headers.traceparent)).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      expect(r.headers['x-user-id']).toBe('u1');
      expect(r.headers['x-user-role']).toBe('user');
      expect(r.signatureValid).toBe(true);
    }
  });
});
