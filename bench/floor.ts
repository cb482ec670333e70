/**
 * The floor of the benchmark: the least a server can do to answer the gateway's two bench
 * queries on this machine. Plain `node:http` and one undici keep-alive `Pool` per service,
 * the same backend calls in the same dependency waves as the gateway (user first, then
 * industry, jobs, comments and NPS in parallel), and a JSON merge of the same fields the
 * GraphQL queries select, in the gateway's order (newest first: backends promise none). No GraphQL, no auth, no cache, no retries, no logging: whatever
 * the gateway costs above this is its overhead.
 *
 * Routes: `GET /dashboard/:userId` (S1, S2, S4) and `GET /users?ids=u1,u2` (S3).
 * Environment: the four `*_SERVICE_URL`s, `PORT` (0: ephemeral), `FLOOR_CONNECTIONS` (64,
 * the gateway's pool size). Prints `BENCH_FLOOR <url>` once listening.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

type Json = Record<string, unknown>;
interface User {
  id: string;
  name: string;
  email: string;
  industryId: string | null;
}

const SERVICES = ['auth', 'comment', 'industry', 'nps'] as const;
type Service = (typeof SERVICES)[number];

const connections = Number(process.env.FLOOR_CONNECTIONS ?? 64);
const pools = {} as Record<Service, Pool>;
for (const service of SERVICES) {
  const url = process.env[`${service.toUpperCase()}_SERVICE_URL`];
  if (!url) {
    console.error(`floor: ${service.toUpperCase()}_SERVICE_URL is required`);
    process.exit(1);
  }
  pools[service] = new Pool(url, { connections, keepAliveTimeout: 30_000 });
}

/** Backends do not promise an order (backends.md): newest first, as the gateway answers. */
function newestFirst<T extends { createdAt?: string; postedAt?: string }>(items: T[]): T[] {
  const at = (t: T) => t.createdAt ?? t.postedAt ?? '';
  return items.sort((a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : 0));
}

async function get<T>(service: Service, path: string): Promise<T> {
  const { statusCode, body } = await pools[service].request({ method: 'GET', path });
  const json = (await body.json()) as T;
  if (statusCode !== 200) throw new Error(`${service} ${path}: HTTP ${statusCode}`);
  return json;
}

/** Same selection as the bench's `userDashboard` query. */
async function dashboard(userId: string): Promise<Json | null> {
  const { users } = await get<{ users: User[] }>('auth', `/api/users?ids=${userId}`);
  const user = users[0];
  if (!user) return null;
  const iid = user.industryId;
  const [industries, jobs, comments, scores] = await Promise.all([
    iid ? get<{ industries: Array<{ name: string }> }>('industry', `/api/industries?ids=${iid}`) : { industries: [] },
    iid
      ? get<{ jobs: Array<{ id: string; title: string; postedAt: string }> }>('industry', `/api/jobs/recent?industryIds=${iid}&limit=5`)
      : { jobs: [] },
    get<{ comments: Array<{ id: string; body: string; createdAt: string }> }>('comment', `/api/comments?userIds=${userId}&limit=10`),
    get<{ scores: Array<{ score: number }> }>('nps', `/api/nps/scores?userIds=${userId}`),
  ]);
  const industry = industries.industries[0];
  const score = scores.scores[0];
  return {
    user: { id: user.id, name: user.name, email: user.email },
    industry: industry ? { name: industry.name } : null,
    recentJobs: newestFirst(jobs.jobs).map((j) => ({ id: j.id, title: j.title })),
    comments: newestFirst(comments.comments).map((c) => ({ id: c.id, body: c.body })),
    nps: score ? { score: score.score } : null,
    degraded: [],
  };
}

/** Same selection as S3's `users(ids:)` query, with the same four batched calls. */
async function users(ids: string[]): Promise<Json[]> {
  const list = ids.join(',');
  const { users: found } = await get<{ users: User[] }>('auth', `/api/users?ids=${list}`);
  const industryIds = [...new Set(found.flatMap((u) => (u.industryId ? [u.industryId] : [])))];
  const [industries, scores, comments] = await Promise.all([
    industryIds.length > 0
      ? get<{ industries: Array<{ id: string; name: string }> }>('industry', `/api/industries?ids=${industryIds.join(',')}`)
      : { industries: [] },
    get<{ scores: Array<{ userId: string; score: number }> }>('nps', `/api/nps/scores?userIds=${list}`),
    get<{ comments: Array<{ id: string; userId: string; createdAt: string }> }>('comment', `/api/comments?userIds=${list}&limit=3`),
  ]);
  const byUser = new Map(found.map((u) => [u.id, u]));
  const industryName = new Map(industries.industries.map((i) => [i.id, i.name]));
  const score = new Map(scores.scores.map((s) => [s.userId, s.score]));
  const commentIds = new Map<string, Array<{ id: string }>>();
  for (const c of newestFirst(comments.comments)) {
    const mine = commentIds.get(c.userId);
    if (mine) mine.push({ id: c.id });
    else commentIds.set(c.userId, [{ id: c.id }]);
  }
  return ids.map((id) => {
    const u = byUser.get(id);
    if (!u) return null as unknown as Json;
    const s = score.get(id);
    return {
      id,
      name: u.name,
      industry: u.industryId ? { name: industryName.get(u.industryId) ?? null } : null,
      nps: s === undefined ? null : { score: s },
      comments: commentIds.get(id) ?? [],
    };
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  const work = url.startsWith('/dashboard/')
    ? dashboard(decodeURIComponent(url.slice('/dashboard/'.length))).then((d) =>
        d ? send(res, 200, { data: { userDashboard: d } }) : send(res, 404, { error: 'NOT_FOUND' }),
      )
    : url.startsWith('/users?ids=')
      ? users(decodeURIComponent(url.slice('/users?ids='.length)).split(',')).then((u) => send(res, 200, { data: { users: u } }))
      : Promise.resolve(send(res, 404, { error: 'NOT_FOUND' }));
  work.catch((err: unknown) => send(res, 502, { error: 'UPSTREAM', message: (err as Error).message }));
});
server.keepAliveTimeout = 65_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`BENCH_FLOOR http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.all(SERVICES.map((s) => pools[s].close())).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
