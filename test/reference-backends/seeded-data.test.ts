import { describe, expect, it, vi } from 'vitest';
import * as seed from '../../reference-backends/data.js';

describe('seeded data', () => {
  it('has the documented demo users', () => {
    expect(seed.users).toHaveLength(500);
    expect(seed.getUser('u1')).toMatchObject({ id: 'u1', name: 'Ada Lovelace', email: 'ada@example.com', role: 'user', industryId: 'i1' });
    expect(seed.getUser('u2')).toMatchObject({
      id: 'u2',
      name: 'Grace Hopper',
      email: 'grace@example.com',
      role: 'admin',
      industryId: 'i2',
    });
    expect(seed.users.map((u) => u.id)).toEqual(Array.from({ length: 500 }, (_, i) => `u${i + 1}`));
    expect(new Set(seed.users.map((u) => u.email)).size).toBe(500);
    expect(seed.findUserByEmail('ADA@example.com')?.id).toBe('u1');
    expect(seed.DEMO_PASSWORD).toBe('password');
  });

  it('gives every 10th user no industry and everyone else a real one', () => {
    for (const [i, user] of seed.users.entries()) {
      if ((i + 1) % 10 === 0) expect(user.industryId).toBeNull();
      else expect(seed.getIndustry(user.industryId as string)).toBeDefined();
      expect(user.createdAt).toBe(new Date(user.createdAt).toISOString());
    }
  });

  it('has 12 industries with about 10 jobs each, at distinct times', () => {
    expect(seed.industries.map((i) => i.id)).toEqual(Array.from({ length: 12 }, (_, i) => `i${i + 1}`));
    for (const industry of seed.industries) {
      expect(industry.name).toBeTruthy();
      expect(industry.sector).toBeTruthy();
      const jobs = seed.recentJobs(industry.id, 100);
      expect(jobs.length).toBeGreaterThanOrEqual(8);
      expect(jobs.length).toBeLessThanOrEqual(12);
      expect(jobs.map((j) => j.postedAt)).toEqual(
        jobs
          .map((j) => j.postedAt)
          .sort()
          .reverse(),
      );
    }
    expect(new Set(seed.jobs.map((j) => j.postedAt)).size).toBe(seed.jobs.length);
    expect(seed.jobs.map((j) => j.id)).toEqual(seed.jobs.map((_, i) => `j${i + 1}`));
    expect(seed.recentJobs('i1', 5)).toHaveLength(5);
  });

  it('has 0 to 15 comments per user, u1 at least 12, at distinct times', () => {
    const counts = seed.users.map((u) => seed.latestComments(u.id, 100).length);
    expect(Math.max(...counts)).toBeLessThanOrEqual(15);
    expect(counts.filter((n) => n === 0).length).toBeGreaterThan(10);
    expect(counts[0]).toBeGreaterThanOrEqual(12);
    expect(new Set(seed.comments.map((c) => c.createdAt)).size).toBe(seed.comments.length);
    const ada = seed.latestComments('u1');
    expect(ada).toHaveLength(10);
    expect(ada.map((c) => c.createdAt)).toEqual(
      ada
        .map((c) => c.createdAt)
        .sort()
        .reverse(),
    );
  });

  it('has NPS answers for most users, none for every 7th, the latest counting', () => {
    for (const user of seed.users) {
      const n = Number(user.id.slice(1));
      if (n % 7 === 0) expect(seed.latestNps(user.id)).toBeUndefined();
      else expect(seed.npsHistory(user.id).length).toBeGreaterThanOrEqual(1);
    }
    expect(seed.npsHistory('u1').map((r) => r.score)).toEqual([9, 6]);
    expect(seed.latestNps('u1')?.score).toBe(9);
    const summary = seed.npsSummary();
    expect(summary.responses).toBe(seed.users.length - Math.floor(500 / 7));
    expect(summary.promoters + summary.passives + summary.detractors).toBe(summary.responses);
    expect(summary.nps).toBe(Math.round(((summary.promoters - summary.detractors) / summary.responses) * 100));
  });

  it('is deterministic and frozen', async () => {
    vi.resetModules();
    const again = await import('../../reference-backends/data.js');
    expect(again.users).not.toBe(seed.users);
    expect(JSON.stringify([again.users, again.industries, again.jobs, again.comments, again.npsResponses])).toBe(
      JSON.stringify([seed.users, seed.industries, seed.jobs, seed.comments, seed.npsResponses]),
    );
    expect(Object.isFrozen(seed.users)).toBe(true);
    expect(Object.isFrozen(seed.users[0])).toBe(true);
  });
});
