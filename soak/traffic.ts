/**
 * The soak's mixed traffic: closed-loop workers, each sending one request at a time to the
 * replicas in turn (no load balancer of our own in between: the replica is picked per
 * request), and turning every answer into an {@link Answer}.
 */
import { mintToken } from '../test/support/kit.js';
import { UPSTREAM_CODES as UPSTREAM, type Answer, type RequestKind } from './checks.js';
import { SERVICES, type Service } from './schedule.js';
import { PASSTHROUGH_PREFIXES } from '../src/http/routes/passthrough.js';

export const JWT_SECRET = 'soak-jwt-secret-that-is-long-enough-0123456789';
/** Users whose dashboards, reads and writes rotate (u3.., so neither of the seeded special users). */
const USERS = Array.from({ length: 400 }, (_, i) => `u${i + 3}`);
/** How long a client waits for an answer before the request counts as lost. */
const CLIENT_TIMEOUT_MS = 30_000;

const DASHBOARD_QUERY = `query SoakDashboard($id: ID!) {
  userDashboard(userId: $id) { user { id name } industry { id name } recentJobs { id } comments { id } nps { score } degraded generatedAt }
}`;
const USERS_QUERY = `query SoakUsers($ids: [ID!]!) { users(ids: $ids) { id name industry { name } nps { score } comments(limit: 3) { id } } }`;

/** Which part of a dashboard comes from which service (gateway.md). */
const PART_SERVICE: Record<string, Service> = {
  user: 'auth',
  industry: 'industry',
  recentJobs: 'industry',
  comments: 'comment',
  nps: 'nps',
};

export interface AckedWrite {
  userId: string;
  commentId: string;
}

export interface TrafficOptions {
  replicas: string[];
  concurrency: number;
  /** ms since the start of the run. */
  clock: () => number;
  /** Gateway error codes (docs/errors.md): a passthrough error body with another code is the backend's own. */
  gatewayCodes: ReadonlySet<string>;
}

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: string; extensions?: { code?: string; service?: string } }>;
  extensions?: { stale?: string[] };
}

type Req = { kind: RequestKind; what: string; method: string; path: string; token: string; body?: unknown };

export class Traffic {
  readonly answers: Answer[] = [];
  readonly writes: AckedWrite[] = [];
  #n = 0;
  #paused = false;
  #stopped = false;
  #workers: Array<Promise<void>> = [];
  readonly #tokens = new Map<string, Promise<string>>();

  constructor(private readonly opts: TrafficOptions) {}

  start(): void {
    for (let w = 0; w < this.opts.concurrency; w++) this.#workers.push(this.#worker());
  }

  /** Stops sending new requests (requests in flight still get their answer). */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  /** Stops and waits for every request in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#workers);
  }

  token(sub: string, role: 'user' | 'admin' = 'user'): Promise<string> {
    const key = `${sub}:${role}`;
    let t = this.#tokens.get(key);
    if (!t) this.#tokens.set(key, (t = mintToken(JWT_SECRET, sub, role, '6h')));
    return t;
  }

  async #worker(): Promise<void> {
    while (!this.#stopped) {
      if (this.#paused) {
        await sleep(100);
        continue;
      }
      const n = this.#n++;
      await this.#send(n, await this.#request(n));
      // A short breath per worker: the machine is shared, and the soak is about faults, not throughput.
      await sleep(10);
    }
  }

  /** The n-th request of the mix: 10 in turn, so every kind recurs at a steady rate. */
  async #request(n: number): Promise<Req> {
    const user = USERS[Math.floor(n / 10) % USERS.length]!;
    const admin = await this.token('u2', 'admin');
    const own = await this.token(user);
    switch (n % 10) {
      case 0:
      case 1:
      case 2:
      case 8:
        return {
          kind: 'dashboard',
          what: 'userDashboard',
          method: 'POST',
          path: '/graphql',
          token: own,
          body: { query: DASHBOARD_QUERY, variables: { id: user } },
        };
      case 3:
        return {
          kind: 'dashboard-rest',
          what: 'GET dashboard',
          method: 'GET',
          path: `/api/orchestration/user/${user}/dashboard`,
          token: admin,
        };
      case 4: {
        const first = (n * 7) % 450;
        const ids = Array.from({ length: 25 }, (_, i) => `u${first + i + 1}`);
        return {
          kind: 'users-batch',
          what: 'users(ids:) x25',
          method: 'POST',
          path: '/graphql',
          token: admin,
          body: { query: USERS_QUERY, variables: { ids } },
        };
      }
      case 5: {
        const reads = [
          `/api/comments?userId=${user}&limit=5`,
          '/api/industries',
          `/api/users/${user}`,
          '/api/nps/summary',
          '/api/jobs/recent?industryId=i3&limit=5',
        ];
        const path = reads[Math.floor(n / 10) % reads.length]!;
        return { kind: 'passthrough-read', what: `GET ${path.split('?', 1)[0]}`, method: 'GET', path, token: own };
      }
      case 6:
        return {
          kind: 'passthrough-write',
          what: 'POST /api/comments',
          method: 'POST',
          path: '/api/comments',
          token: own,
          body: { body: `soak write ${n}` },
        };
      case 7:
        return {
          kind: 'passthrough-read',
          what: 'GET /api/comments',
          method: 'GET',
          path: `/api/comments?userId=${user}&limit=3`,
          token: own,
        };
      default: {
        const calls: Array<[string, string]> = [
          ['GET', '/api/gateway/stats'],
          ['GET', '/api/gateway/services'],
          ['GET', '/health/services'],
          ['DELETE', '/api/gateway/cache?service=industry'],
          ['GET', '/api/gateway/sync/status'],
          ['POST', '/api/gateway/sync/force'],
        ];
        const [method, path] = calls[Math.floor(n / 10) % calls.length]!;
        return { kind: 'admin', what: `${method} ${path.split('?', 1)[0]}`, method, path, token: admin };
      }
    }
  }

  async #send(n: number, req: Req): Promise<void> {
    const replica = n % this.opts.replicas.length;
    const startMs = this.opts.clock();
    const base = { kind: req.kind, what: req.what, replica, startMs };
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.opts.replicas[replica]}${req.path}`, {
        method: req.method,
        headers: { authorization: `Bearer ${req.token}`, ...(req.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      this.answers.push({
        ...base,
        endMs: this.opts.clock(),
        status: null,
        lost: e.cause?.code ?? e.name ?? String(err),
        codes: [],
        reports: [],
      });
      return;
    }
    const answer: Answer = { ...base, endMs: this.opts.clock(), status, codes: [], reports: [] };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (req.path === '/graphql') this.#readGraphql(answer, body as GraphqlBody | undefined);
    else this.#readRest(answer, req, body as Record<string, unknown> | undefined);
    if (req.kind === 'passthrough-write' && status === 201) {
      const id = (body as { id?: unknown } | undefined)?.id;
      const userId = (body as { userId?: unknown } | undefined)?.userId;
      if (typeof id === 'string' && typeof userId === 'string') this.writes.push({ userId, commentId: id });
      else answer.dashboardProblem = `write acknowledged without a comment id: ${text.slice(0, 200)}`;
    }
    this.answers.push(answer);
  }

  #readGraphql(answer: Answer, body: GraphqlBody | undefined): void {
    if (!body) {
      answer.codes.push('NO_JSON_BODY');
      return;
    }
    const errors = body.errors ?? [];
    for (const e of errors) {
      answer.message ??= e.message;
      const code = e.extensions?.code ?? 'NO_CODE';
      answer.codes.push(code);
      const service = e.extensions?.service;
      if (isService(service) && UPSTREAM.has(code)) answer.reports.push({ service, code });
    }
    if (answer.kind !== 'dashboard') return;
    const dashboard = body.data?.userDashboard as { degraded?: string[] } | null | undefined;
    const stale = new Set((body.extensions?.stale ?? []).map((p) => PART_SERVICE[p.split('.')[1] ?? '']));
    if (answer.status !== 200) {
      answer.dashboardProblem = `HTTP ${answer.status}`;
      return;
    }
    if (!dashboard) {
      // The user itself could not be loaded: degraded as a whole, and the error must say it is auth.
      if (!answer.reports.some((r) => r.service === 'auth'))
        answer.dashboardProblem = `no dashboard and no auth error: ${answer.codes.join(',')}`;
      return;
    }
    const degraded = (dashboard.degraded ?? []).filter(isService);
    for (const service of degraded) {
      if (!answer.reports.some((r) => r.service === service)) {
        if (stale.has(service)) answer.reports.push({ service, code: 'degraded' });
        else answer.dashboardProblem = `${service} degraded without a coded error naming it`;
      }
    }
    for (const r of answer.reports) {
      if (!degraded.includes(r.service)) answer.dashboardProblem = `${r.code} for ${r.service}, which is not in degraded`;
    }
    for (const code of answer.codes) if (!UPSTREAM.has(code)) answer.dashboardProblem = `unexpected error code ${code}`;
  }

  #readRest(answer: Answer, req: Req, body: Record<string, unknown> | undefined): void {
    const error = body?.error;
    if (typeof body?.message === 'string') answer.message = body.message;
    if (typeof error === 'string') {
      const service = isService(body?.service) ? body.service : passthroughService(req);
      if (req.kind.startsWith('passthrough') && !this.opts.gatewayCodes.has(error)) {
        // The backend's own error body, relayed as passthrough must.
        if (service) answer.relayedFrom = service;
        if (service && (answer.status ?? 0) >= 500) answer.reports.push({ service, code: `relayed ${answer.status}` });
        return;
      }
      answer.codes.push(error);
      if (service && UPSTREAM.has(error)) answer.reports.push({ service, code: error });
    } else if ((answer.status ?? 0) >= 400) {
      answer.codes.push('NO_CODE');
    }
    if (answer.kind !== 'dashboard-rest') return;
    if (answer.status === 503 && body?.service === 'auth') return;
    if (answer.status !== 200 || !body) {
      answer.dashboardProblem = `HTTP ${answer.status} ${String(error ?? '')}`;
      return;
    }
    const degraded = Array.isArray(body.degraded) ? body.degraded.filter(isService) : [];
    const errors = Array.isArray(body.errors) ? (body.errors as Array<{ service?: unknown; code?: unknown }>) : [];
    for (const e of errors) {
      if (isService(e.service) && typeof e.code === 'string') answer.reports.push({ service: e.service, code: e.code });
    }
    for (const service of degraded) {
      if (!errors.some((e) => e.service === service && typeof e.code === 'string' && UPSTREAM.has(e.code))) {
        answer.dashboardProblem = `${service} degraded without a coded error naming it`;
      }
    }
    for (const e of errors)
      if (!degraded.includes(e.service as Service)) answer.dashboardProblem = `error for ${String(e.service)}, which is not in degraded`;
  }
}

function isService(value: unknown): value is Service {
  return typeof value === 'string' && (SERVICES as readonly string[]).includes(value);
}

function passthroughService(req: Req): Service | undefined {
  const path = req.path.split('?', 1)[0]!;
  return PASSTHROUGH_PREFIXES.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
