import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startBackends, type ReferenceBackends } from '../../reference-backends/index.js';
import { TEST_JWT_SECRET, byId, getJson } from './helpers.js';

let backends: ReferenceBackends;
let base: string;
beforeAll(async () => {
  backends = await startBackends({ jwtSecret: TEST_JWT_SECRET });
  base = backends.industry.url;
});
afterAll(() => backends.close());

describe('industry service', () => {
  it('GET /api/industries answers all of them', async () => {
    const { status, body } = await getJson(`${base}/api/industries`);
    expect(status).toBe(200);
    expect(body.industries).toEqual(seed.industries);
  });

  it('GET /api/industries?ids= answers the known ones, in another order', async () => {
    const { body } = await getJson(`${base}/api/industries?ids=i1,i2,i3,i99`);
    expect(body.industries.map((i: { id: string }) => i.id)).not.toEqual(['i1', 'i2', 'i3']);
    expect([...body.industries].sort(byId)).toEqual(['i1', 'i2', 'i3'].map((id) => seed.getIndustry(id)));
    const tooMany = await getJson(`${base}/api/industries?ids=${Array.from({ length: 101 }, (_, i) => `i${i}`).join(',')}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toBe('too_many_ids');
  });

  it('GET /api/industries/:id answers one, or 404', async () => {
    expect((await getJson(`${base}/api/industries/i4`)).body).toEqual(seed.getIndustry('i4'));
    const missing = await getJson(`${base}/api/industries/i99`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('not_found');
  });

  it('GET /api/jobs/recent?industryId= answers the newest, default 10', async () => {
    expect((await getJson(`${base}/api/jobs/recent?industryId=i1`)).body.jobs).toEqual(seed.recentJobs('i1', 10));
    expect((await getJson(`${base}/api/jobs/recent?industryId=i1&limit=5`)).body.jobs).toEqual(seed.recentJobs('i1', 5));
    const few = await getJson(`${base}/api/jobs/recent?industryId=i6&limit=100`);
    expect(few.body.jobs).toEqual(seed.recentJobs('i6', 100));
    expect(few.body.jobs).toHaveLength(8);
    expect((await getJson(`${base}/api/jobs/recent?industryId=i99`)).body).toEqual({ jobs: [] });
    expect((await getJson(`${base}/api/jobs/recent?industryId=i1&limit=500`)).status).toBe(400);
  });

  it('GET /api/jobs/recent?industryIds= answers the newest `limit` of each industry, mixed', async () => {
    const { body } = await getJson(`${base}/api/jobs/recent?industryIds=i1,i2,i3&limit=3`);
    const expected = ['i1', 'i2', 'i3'].flatMap((id) => seed.recentJobs(id, 3));
    expect(body.jobs.map((j: { id: string }) => j.id)).not.toEqual(expected.map((j) => j.id));
    expect([...body.jobs].sort(byId)).toEqual([...expected].sort(byId));
  });
});
