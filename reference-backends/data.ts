/**
 * The seeded data set of the reference backends.
 *
 * Built once at import time by a fixed-seed PRNG: every start produces exactly the same
 * users, industries, jobs, comments and NPS answers, so tests can compare the gateway's
 * answers with these exports field by field. Everything exported is frozen.
 *
 * - 500 users `u1`..`u500`; `u1` is Ada Lovelace (role `user`, industry `i1`), `u2` is
 *   Grace Hopper (role `admin`, industry `i2`); every 50th user is an admin too; every 10th
 *   user (`u10`, `u20`, …) has `industryId: null`.
 * - EVERY user's password is {@link DEMO_PASSWORD} (`"password"`).
 * - 12 industries `i1`..`i12`; 8–12 jobs each (`j1`..`j120`), distinct `postedAt`.
 * - 0–15 comments per user (`c1`…; `u1` has 15, every 13th user none), distinct `createdAt`.
 * - 1–3 NPS answers per user, the latest counts; every 7th user (`u7`, `u14`, …) has none.
 *   `u1` answered 6, then 9 (latest).
 */

export interface User {
  id: string;
  name: string;
  email: string;
  role: 'user' | 'admin';
  industryId: string | null;
  createdAt: string;
}

export interface Industry {
  id: string;
  name: string;
  sector: string;
}

export interface Job {
  id: string;
  industryId: string;
  title: string;
  company: string;
  postedAt: string;
}

export interface Comment {
  id: string;
  userId: string;
  body: string;
  createdAt: string;
}

export interface NpsScore {
  userId: string;
  score: number;
  respondedAt: string;
}

export interface NpsSummary {
  nps: number;
  promoters: number;
  passives: number;
  detractors: number;
  responses: number;
}

/** The password of every seeded user. */
export const DEMO_PASSWORD = 'password';
export const USER_COUNT = 500;

/** mulberry32: a tiny, fast, seedable PRNG (uniform in [0, 1)). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A random permutation of 0..n-1. */
function permutation(random: () => number, n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

const FIRST_NAMES = [
  'Alan',
  'Barbara',
  'Claude',
  'Dorothy',
  'Edsger',
  'Frances',
  'Gordon',
  'Hedy',
  'Ivan',
  'Joan',
  'Ken',
  'Lynn',
  'Margaret',
  'Niklaus',
  'Ole',
  'Radia',
  'Seymour',
  'Tim',
  'Ursula',
  'Vint',
  'Whitfield',
  'Xiao',
  'Yukihiro',
  'Zoë',
  'Adele',
  'Bjarne',
  'Carol',
  'Dennis',
  'Evelyn',
  'Fei-Fei',
  'Guido',
  'Hal',
  'Ida',
  'John',
  'Karen',
  'Leslie',
  'Mary',
  'Noam',
  'Shafi',
  'Tu',
];
const LAST_NAMES = [
  'Turing',
  'Liskov',
  'Shannon',
  'Vaughan',
  'Dijkstra',
  'Allen',
  'Moore',
  'Lamarr',
  'Sutherland',
  'Clarke',
  'Thompson',
  'Conway',
  'Hamilton',
  'Wirth',
  'Dahl',
  'Perlman',
  'Papert',
  'Berners-Lee',
  'Franklin',
  'Cerf',
  'Diffie',
  'Müller',
  'Matsumoto',
  "O'Neil",
  'Goldberg',
  'Stroustrup',
  'Shaw',
  'Ritchie',
  'Boyd',
  'Li',
  'van Rossum',
  'Abelson',
  'Rhodes',
  'McCarthy',
  'Spärck Jones',
  'Lamport',
  'Keller',
  'Chomsky',
  'Goldwasser',
  'Youyou',
];

const INDUSTRY_SEED: ReadonlyArray<readonly [string, string]> = [
  ['Software', 'Technology'],
  ['Healthcare', 'Health Care'],
  ['Banking', 'Financials'],
  ['Renewable Energy', 'Energy'],
  ['Retail', 'Consumer Discretionary'],
  ['Telecommunications', 'Communication Services'],
  ['Pharmaceuticals', 'Health Care'],
  ['Aerospace', 'Industrials'],
  ['Agriculture', 'Consumer Staples'],
  ['Real Estate', 'Real Estate'],
  ['Logistics', 'Industrials'],
  ['Education', 'Public Sector'],
];
/** Jobs per industry, i1..i12 (120 in all). */
const JOBS_PER_INDUSTRY = [12, 10, 9, 11, 10, 8, 12, 10, 9, 11, 10, 8];

const JOB_TITLES = [
  'Senior Engineer',
  'Product Manager',
  'Data Analyst',
  'Site Reliability Engineer',
  'Designer',
  'Operations Lead',
  'Account Executive',
  'Research Scientist',
  'Support Specialist',
  'Team Lead',
  'Security Analyst',
  'Project Coordinator',
];
const COMPANY_FIRST = ['Northwind', 'Contoso', 'Initech', 'Globex', 'Umbrella', 'Stark', 'Wayne', 'Acme', 'Hooli', 'Vandelay'];
const COMPANY_LAST = ['Labs', 'Group', 'Systems', 'Partners', 'Industries', 'Works', 'Holdings', '& Co.'];

const COMMENT_OPENERS = [
  'Great insights on',
  'Not sure I agree about',
  'Thanks for sharing',
  'Loved the part about',
  'Could you expand on',
  'Interesting take on',
  'We tried',
  'Quick question on',
];
const COMMENT_TOPICS = [
  'the quarterly roadmap',
  'remote onboarding',
  'the new dashboard',
  'hiring trends',
  'caching strategy',
  'the pricing change',
  'team rituals',
  'incident reviews',
  'the data pipeline',
  'customer interviews',
];
const COMMENT_CLOSERS = ['!', '.', ' — thanks!', '?', '. Worth a follow-up.', ' 👍'];

const HOUR = 3_600_000;
const USERS_BASE = Date.UTC(2023, 0, 1, 9, 0, 0);
const JOBS_NEWEST = Date.UTC(2024, 5, 30, 12, 0, 0);
const COMMENTS_NEWEST = Date.UTC(2024, 8, 30, 18, 0, 0);
const NPS_NEWEST = Date.UTC(2024, 10, 15, 8, 0, 0);

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function build() {
  const random = createRandom(0x5eed_2024);

  const industries: Industry[] = INDUSTRY_SEED.map(([name, sector], i) => ({ id: `i${i + 1}`, name, sector }));

  const users: User[] = [];
  for (let n = 1; n <= USER_COUNT; n++) {
    let name: string;
    let email: string;
    if (n === 1) {
      name = 'Ada Lovelace';
      email = 'ada@example.com';
    } else if (n === 2) {
      name = 'Grace Hopper';
      email = 'grace@example.com';
    } else {
      const first = pick(random, FIRST_NAMES);
      const last = pick(random, LAST_NAMES);
      name = `${first} ${last}`;
      email = `${slug(first)}.${slug(last)}${n}@example.com`;
    }
    users.push({
      id: `u${n}`,
      name,
      email,
      role: n === 2 || n % 50 === 0 ? 'admin' : 'user',
      industryId: n % 10 === 0 ? null : `i${((n - 1) % industries.length) + 1}`,
      createdAt: iso(USERS_BASE + n * HOUR + Math.floor(random() * 59) * 60_000),
    });
  }

  const jobs: Job[] = [];
  industries.forEach((industry, i) => {
    const count = JOBS_PER_INDUSTRY[i] ?? 10;
    for (let k = 0; k < count; k++) {
      jobs.push({
        id: `j${jobs.length + 1}`,
        industryId: industry.id,
        title: `${pick(random, JOB_TITLES)}${k % 4 === 3 ? ' (Remote)' : ''}`,
        company: `${pick(random, COMPANY_FIRST)} ${pick(random, COMPANY_LAST)}`,
        postedAt: '',
      });
    }
  });
  // Distinct times in an order unrelated to the ids, so "newest first" is really tested.
  permutation(random, jobs.length).forEach((slot, i) => {
    (jobs[i] as Job).postedAt = iso(JOBS_NEWEST - slot * 97 * 60_000 - 13_000);
  });

  const comments: Comment[] = [];
  for (let n = 1; n <= USER_COUNT; n++) {
    const count = n === 1 ? 15 : n % 13 === 0 ? 0 : Math.floor(random() * 16);
    for (let k = 0; k < count; k++) {
      const body =
        n === 1 && k === 0
          ? 'Loving the new dashboard — "quotes", <tags> & unicode ✓'
          : `${pick(random, COMMENT_OPENERS)} ${pick(random, COMMENT_TOPICS)}${pick(random, COMMENT_CLOSERS)}`;
      comments.push({ id: `c${comments.length + 1}`, userId: `u${n}`, body, createdAt: '' });
    }
  }
  permutation(random, comments.length).forEach((slot, i) => {
    (comments[i] as Comment).createdAt = iso(COMMENTS_NEWEST - slot * 3_187_000 - 250);
  });

  const npsResponses: NpsScore[] = [];
  for (let n = 1; n <= USER_COUNT; n++) {
    if (n % 7 === 0) continue;
    const count = n === 1 ? 2 : 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      // Skewed towards promoters, as real NPS data tends to be.
      const r = random();
      const score = r < 0.45 ? 9 + Math.floor(random() * 2) : r < 0.75 ? 7 + Math.floor(random() * 2) : Math.floor(random() * 7);
      npsResponses.push({ userId: `u${n}`, score, respondedAt: '' });
    }
  }
  permutation(random, npsResponses.length).forEach((slot, i) => {
    (npsResponses[i] as NpsScore).respondedAt = iso(NPS_NEWEST - slot * 5_407_000 - 500);
  });
  // u1 answered 6 first, then 9: a known promoter for demos and tests.
  const ada = npsResponses.filter((r) => r.userId === 'u1').sort((a, b) => a.respondedAt.localeCompare(b.respondedAt));
  (ada[0] as NpsScore).score = 6;
  (ada[1] as NpsScore).score = 9;

  return { industries, users, jobs, comments, npsResponses };
}

function freezeAll<T extends object>(items: T[]): readonly Readonly<T>[] {
  for (const item of items) Object.freeze(item);
  return Object.freeze(items);
}

function newestFirst<T>(key: (item: T) => string) {
  return (a: T, b: T) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0);
}

function groupNewestFirst<T>(items: readonly T[], group: (item: T) => string, time: (item: T) => string): Map<string, readonly T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = group(item);
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(item);
  }
  for (const list of map.values()) {
    list.sort(newestFirst(time));
    Object.freeze(list);
  }
  return map;
}

const built = build();

export const users: readonly Readonly<User>[] = freezeAll(built.users);
export const industries: readonly Readonly<Industry>[] = freezeAll(built.industries);
export const jobs: readonly Readonly<Job>[] = freezeAll(built.jobs);
export const comments: readonly Readonly<Comment>[] = freezeAll(built.comments);
/** Every NPS answer ever given (several per user; the latest counts). */
export const npsResponses: readonly Readonly<NpsScore>[] = freezeAll(built.npsResponses);

const usersById = new Map(users.map((u) => [u.id, u]));
const usersByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
const industriesById = new Map(industries.map((i) => [i.id, i]));
const commentsByUser = groupNewestFirst(
  comments,
  (c) => c.userId,
  (c) => c.createdAt,
);
const jobsByIndustry = groupNewestFirst(
  jobs,
  (j) => j.industryId,
  (j) => j.postedAt,
);
const npsByUser = groupNewestFirst(
  npsResponses,
  (r) => r.userId,
  (r) => r.respondedAt,
);
const EMPTY: readonly never[] = Object.freeze([]);

export function getUser(id: string): Readonly<User> | undefined {
  return usersById.get(id);
}

/** Case-insensitive. */
export function findUserByEmail(email: string): Readonly<User> | undefined {
  return usersByEmail.get(email.toLowerCase());
}

export function getIndustry(id: string): Readonly<Industry> | undefined {
  return industriesById.get(id);
}

/** The seeded comments of a user, newest first, at most `limit` (default 10). */
export function latestComments(userId: string, limit = 10): readonly Readonly<Comment>[] {
  return (commentsByUser.get(userId) ?? EMPTY).slice(0, limit);
}

/** The jobs of an industry, newest first, at most `limit` (default 10). */
export function recentJobs(industryId: string, limit = 10): readonly Readonly<Job>[] {
  return (jobsByIndustry.get(industryId) ?? EMPTY).slice(0, limit);
}

/** Every seeded NPS answer of a user, newest first. */
export function npsHistory(userId: string): readonly Readonly<NpsScore>[] {
  return npsByUser.get(userId) ?? EMPTY;
}

/** The user's latest seeded NPS answer, or undefined when they never answered. */
export function latestNps(userId: string): Readonly<NpsScore> | undefined {
  return npsByUser.get(userId)?.[0];
}

/** Each user's latest answer. */
export function latestNpsScores(): Readonly<NpsScore>[] {
  const out: Readonly<NpsScore>[] = [];
  for (const list of npsByUser.values()) if (list[0]) out.push(list[0]);
  return out;
}

/** The NPS over a set of scores: 9–10 promoters, 7–8 passives, 0–6 detractors. */
export function summarizeNps(scores: Iterable<number>): NpsSummary {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const score of scores) {
    if (score >= 9) promoters++;
    else if (score >= 7) passives++;
    else detractors++;
  }
  const responses = promoters + passives + detractors;
  const nps = responses === 0 ? 0 : Math.round(((promoters - detractors) / responses) * 100);
  return { nps, promoters, passives, detractors, responses };
}

/** The summary the nps service reports on the seeded data: over each user's LATEST answer. */
export function npsSummary(): NpsSummary {
  return summarizeNps(latestNpsScores().map((s) => s.score));
}
