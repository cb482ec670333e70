/**
 * A diagnostic reference for `npm run bench -- --yoga`: the "straightforward graphql-yoga +
 * DataLoader server" (no cache, no auth, no breaker, no tracing, no metrics) on
 * plain `node:http`, answering the bench's `userDashboard` (S1, S2) and `users(ids:)` (S3) queries with the same backend calls
 * as the gateway. Where the gateway sits between this and the floor says how much of its cost
 * is GraphQL itself and how much is what the gateway adds.
 *
 * Environment: the four `*_SERVICE_URL`s, `PORT` (0: ephemeral). Prints `BENCH_YOGA <url>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import DataLoader from 'dataloader';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';

interface User {
  id: string;
  name: string;
  email: string;
  industryId: string | null;
}
interface Industry {
  id: string;
  name: string;
}
interface Job {
  id: string;
  industryId: string;
  title: string;
  postedAt: string;
}
interface Comment {
  id: string;
  userId: string;
  body: string;
  createdAt: string;
}
interface Score {
  userId: string;
  score: number;
}

const pool = (name: string) => {
  const url = process.env[`${name}_SERVICE_URL`];
  if (!url) throw new Error(`${name}_SERVICE_URL is required`);
  return new Pool(url, { connections: 64, keepAliveTimeout: 30_000 });
};
const pools = { auth: pool('AUTH'), comment: pool('COMMENT'), industry: pool('INDUSTRY'), nps: pool('NPS') };

async function get<T>(p: Pool, path: string): Promise<T> {
  const { statusCode, body } = await p.request({ method: 'GET', path });
  const json = (await body.json()) as T;
  if (statusCode !== 200) throw new Error(`${path}: HTTP ${statusCode}`);
  return json;
}

const newest = <T>(items: T[], at: (t: T) => string) => items.sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
const byKey = <T>(items: T[], key: (t: T) => string) => {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const list = m.get(key(t));
    if (list) list.push(t);
    else m.set(key(t), [t]);
  }
  return m;
};

/** Each user's newest comments, at most `limit` (the comment service's `limit`, per user), one call per batch. */
const commentsLoader = (limit: number) =>
  new DataLoader<string, Comment[]>(async (ids) => {
    const { comments } = await get<{ comments: Comment[] }>(pools.comment, `/api/comments?userIds=${ids.join(',')}&limit=${limit}`);
    const m = byKey(comments, (c) => c.userId);
    return ids.map((id) => newest(m.get(id) ?? [], (c) => c.createdAt));
  });

function loaders() {
  return {
    user: new DataLoader<string, User | null>(async (ids) => {
      const { users } = await get<{ users: User[] }>(pools.auth, `/api/users?ids=${ids.join(',')}`);
      const m = new Map(users.map((u) => [u.id, u]));
      return ids.map((id) => m.get(id) ?? null);
    }),
    industry: new DataLoader<string, Industry | null>(async (ids) => {
      const { industries } = await get<{ industries: Industry[] }>(pools.industry, `/api/industries?ids=${ids.join(',')}`);
      const m = new Map(industries.map((i) => [i.id, i]));
      return ids.map((id) => m.get(id) ?? null);
    }),
    jobs: new DataLoader<string, Job[]>(async (ids) => {
      const { jobs } = await get<{ jobs: Job[] }>(pools.industry, `/api/jobs/recent?industryIds=${ids.join(',')}&limit=5`);
      const m = byKey(jobs, (j) => j.industryId);
      return ids.map((id) => newest(m.get(id) ?? [], (j) => j.postedAt));
    }),
    comments: commentsLoader(10),
    recentComments: commentsLoader(3),
    nps: new DataLoader<string, Score | null>(async (ids) => {
      const { scores } = await get<{ scores: Score[] }>(pools.nps, `/api/nps/scores?userIds=${ids.join(',')}`);
      const m = new Map(scores.map((s) => [s.userId, s]));
      return ids.map((id) => m.get(id) ?? null);
    }),
  };
}
type Ctx = { loaders: ReturnType<typeof loaders> };

const yoga = createYoga<object, Ctx>({
  logging: false,
  landingPage: false,
  graphiql: false,
  context: () => ({ loaders: loaders() }),
  schema: createSchema<Ctx>({
    typeDefs: /* GraphQL */ `
      type User {
        id: ID!
        name: String!
        email: String!
      }
      type Industry {
        name: String!
      }
      type Job {
        id: ID!
        title: String!
      }
      type Comment {
        id: ID!
        body: String!
      }
      type Nps {
        score: Int!
      }
      type UserSummary {
        id: ID!
        name: String!
        industry: Industry
        nps: Nps
        comments(limit: Int): [Comment!]!
      }
      type UserDashboard {
        user: User!
        industry: Industry
        recentJobs: [Job!]
        comments: [Comment!]
        nps: Nps
        degraded: [String!]!
      }
      type Query {
        userDashboard(userId: ID!): UserDashboard
        users(ids: [ID!]!): [UserSummary]!
      }
    `,
    resolvers: {
      Query: {
        userDashboard: async (_: unknown, { userId }: { userId: string }, { loaders: l }: Ctx) => {
          const user = await l.user.load(userId);
          if (!user) return null;
          const iid = user.industryId;
          const [industry, recentJobs, comments, nps] = await Promise.all([
            iid ? l.industry.load(iid) : null,
            iid ? l.jobs.load(iid) : [],
            l.comments.load(userId),
            l.nps.load(userId),
          ]);
          return { user, industry, recentJobs, comments, nps, degraded: [] };
        },
        users: (_: unknown, { ids }: { ids: string[] }, { loaders: l }: Ctx) => l.user.loadMany(ids),
      },
      // S3: the same four batched calls as the gateway and the floor (users, then industries,
      // NPS and the last 3 comments of every user, each one call through DataLoader).
      UserSummary: {
        industry: (u: User, _: unknown, { loaders: l }: Ctx) => (u.industryId ? l.industry.load(u.industryId) : null),
        nps: (u: User, _: unknown, { loaders: l }: Ctx) => l.nps.load(u.id),
        comments: (u: User, _: unknown, { loaders: l }: Ctx) => l.recentComments.load(u.id),
      },
    },
  }),
});

const server = createServer(yoga);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`BENCH_YOGA http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.all(Object.values(pools).map((p) => p.close())).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
