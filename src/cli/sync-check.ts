#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import semver from 'semver';
import { SERVICE_NAMES, type ServiceName } from '../config/index.js';
import { continueTrace } from '../observability/trace-context.js';
import { ServiceBreaker } from '../resilience/index.js';
import {
  classify,
  clientProbeGet,
  exitCodeFor,
  probeService,
  systemClock,
  worstState,
  type ServiceSync,
  type SyncState,
} from '../sync/index.js';
import { ServiceClient, type CallContext } from '../upstreams/index.js';
import {
  CLI_TIMEOUT_MS,
  EXIT,
  UsageError,
  createCliAgent,
  dash,
  fetchGatewayReport,
  gatewayUrl,
  loadDotEnv,
  npmForwardedFlags,
  parseCliFlags,
  paintState,
  table,
  type GatewayAnswer,
  type GatewayReport,
} from './sync-cli.js';

const USAGE = `Usage: npm run sync:check -- [--gateway-only | --services-only] [--json] [--url <gateway URL>]

Checks that every service runs the expected shared knowledge version.

  (no mode flag)     the gateway's view and the services' own answers, side by side
  --gateway-only     ask the running gateway only (GET /api/gateway/sync/status)
  --services-only    ask each service directly (GET /health and /api/shared-knowledge/status)
  --json             machine output: {"status","expectedVersion","services":[...],"gateway":{...}|null}
  --url <url>        the gateway (default http://localhost:$PORT, PORT defaulting to 3000)
  -h, --help         this text

Environment: AUTH_SERVICE_URL, COMMENT_SERVICE_URL, INDUSTRY_SERVICE_URL, NPS_SERVICE_URL,
SHARED_KNOWLEDGE_VERSION (default 1.0.0), GATEWAY_SIGNING_SECRET (sign like the gateway),
GATEWAY_TOKEN or GATEWAY_API_KEY (the gateway's credentials), PORT. A .env file is read.

Exit codes: 0 all in_sync; 1 worst state unknown, out_of_sync or warning;
            2 unreachable or critical (an unreachable gateway counts); 3 usage or configuration error.`;

const SERVICE_URL_VARS: Record<ServiceName, string> = {
  auth: 'AUTH_SERVICE_URL',
  comment: 'COMMENT_SERVICE_URL',
  industry: 'INDUSTRY_SERVICE_URL',
  nps: 'NPS_SERVICE_URL',
};

/** A service's own answer: `ServiceSync` plus where it was asked and whether `/health` was 2xx. */
type OwnAnswer = ServiceSync & { url: string; healthy: boolean };

interface CheckResult {
  status: SyncState;
  expectedVersion: string;
  services: Array<ServiceSync | OwnAnswer>;
  gateway: GatewayReport | { status: 'unreachable'; url: string; error: string } | null;
}

function serviceUrls(env: NodeJS.ProcessEnv): Record<ServiceName, string> {
  const problems: string[] = [];
  const urls = {} as Record<ServiceName, string>;
  for (const name of SERVICE_NAMES) {
    const variable = SERVICE_URL_VARS[name];
    const raw = env[variable];
    if (!raw) {
      problems.push(`${variable} is not set`);
      continue;
    }
    try {
      const url = new URL(raw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      urls[name] = url.origin;
    } catch {
      problems.push(`${variable} must be an http:// or https:// URL (got "${raw}")`);
    }
  }
  if (problems.length > 0)
    throw new UsageError(
      `cannot check the services directly:\n  - ${problems.join('\n  - ')}\n(use --gateway-only to ask the gateway alone)`,
    );
  return urls;
}

/**
 * Checks each service the way the gateway's own health checks do: through a `ServiceClient`
 * (the one outbound pipeline: signed with GATEWAY_SIGNING_SECRET, traced, budgeted), its
 * breaker switched off and bypassed.
 */
async function askServices(urls: Record<ServiceName, string>, env: NodeJS.ProcessEnv) {
  const ctx: CallContext = { requestId: `sync-check-${randomUUID()}`, traceparent: continueTrace(undefined).traceparent };
  const clients = SERVICE_NAMES.map(
    (name) =>
      new ServiceClient({
        name,
        baseUrl: urls[name],
        timeoutMs: CLI_TIMEOUT_MS,
        retries: 0,
        breaker: new ServiceBreaker({ name, failureThreshold: 1, resetTimeoutMs: 0, enabled: false }),
        signingSecret: env.GATEWAY_SIGNING_SECRET || undefined,
        connections: 2,
      }),
  );
  try {
    return await Promise.all(
      clients.map(async (client) => ({
        name: client.name,
        url: client.baseUrl,
        probe: await probeService(clientProbeGet(client, ctx, CLI_TIMEOUT_MS), { timeoutMs: CLI_TIMEOUT_MS, clock: systemClock }),
        at: new Date().toISOString(),
      })),
    );
  } finally {
    for (const client of clients) client.breaker.dispose();
    // Nothing is kept alive after the check: the process exits at once.
    await Promise.all(clients.map((client) => client.pool.destroy()));
  }
}

function gatewayState(answer: GatewayAnswer): SyncState | null {
  if (answer.kind === 'unreachable') return 'unreachable';
  if (answer.kind !== 'ok') return null;
  // A gateway with monitoring disabled can tell nothing: that is not "in sync".
  return answer.report.status === 'disabled' ? 'unknown' : answer.report.status;
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const values = parseCliFlags(
    argv,
    {
      'gateway-only': { type: 'boolean', default: false },
      'services-only': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
    },
    USAGE,
  );
  if (!values) return EXIT.ok;
  if (values['gateway-only'] && values['services-only']) throw new UsageError('--gateway-only and --services-only exclude each other');
  const wantGateway = !values['services-only'];
  const wantServices = !values['gateway-only'];
  const base = wantGateway ? gatewayUrl(values.url, env) : null;
  const configured = env.SHARED_KNOWLEDGE_VERSION || '1.0.0';
  if (!semver.valid(configured))
    throw new UsageError(`SHARED_KNOWLEDGE_VERSION must be a semantic version such as 1.0.0 (got "${configured}")`);
  const urls = wantServices ? serviceUrls(env) : null;

  const agent = createCliAgent();
  try {
    const [gateway, own] = await Promise.all([
      base ? fetchGatewayReport(base, env, agent) : Promise.resolve(null),
      urls ? askServices(urls, env) : Promise.resolve(null),
    ]);
    if (gateway?.kind === 'refused') throw new UsageError(gateway.error);

    // The gateway's expected version wins: auto-update may have moved it past the configured one.
    const expectedVersion = gateway?.kind === 'ok' ? gateway.report.expectedVersion : configured;
    const answers: OwnAnswer[] | null =
      own?.map(({ name, url, probe, at }) => {
        const { state, error } = classify(probe, expectedVersion);
        return {
          name,
          version: probe.version,
          expectedVersion,
          state,
          outOfSyncSince: null,
          lastUpdated: probe.lastUpdated,
          lastCheckedAt: at,
          error,
          url,
          healthy: probe.reachable && probe.healthy,
        };
      }) ?? null;
    const states: SyncState[] = answers?.map((a) => a.state) ?? [];
    const gw = gateway ? gatewayState(gateway) : null;
    if (gw) states.push(gw);
    const result: CheckResult = {
      status: worstState(states),
      expectedVersion,
      services: answers ?? (gateway?.kind === 'ok' ? gateway.report.services : []),
      gateway:
        gateway === null
          ? null
          : gateway.kind === 'ok'
            ? gateway.report
            : { status: 'unreachable', url: base!, error: gateway.kind === 'unreachable' ? gateway.error : '' },
    };
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : render(result, answers, gateway, base));
    return exitCodeFor(result.status);
  } finally {
    await agent.close();
  }
}

function render(result: CheckResult, own: OwnAnswer[] | null, gateway: GatewayAnswer | null, base: string | null): string {
  const out: string[] = [`Shared knowledge sync: ${paintState(result.status)} (expected ${result.expectedVersion})`, ''];
  const report = gateway?.kind === 'ok' ? gateway.report : null;
  const seen = new Map(report?.services.map((s) => [s.name, s]) ?? []);
  if (own && gateway) {
    out.push(
      table(
        ['SERVICE', 'REPORTS', 'STATE', 'GATEWAY SEES', 'GATEWAY STATE', 'HEALTH', 'ERROR'],
        own.map((s) => {
          const g = seen.get(s.name);
          return [
            s.name,
            dash(s.version),
            paintState(s.state),
            dash(g?.version),
            g ? paintState(g.state) : '-',
            s.healthy ? 'ok' : 'unhealthy',
            dash(s.error ?? g?.error),
          ];
        }),
      ),
    );
  } else if (own) {
    out.push(
      table(
        ['SERVICE', 'URL', 'HEALTH', 'VERSION', 'STATE', 'ERROR'],
        own.map((s) => [s.name, s.url, s.healthy ? 'ok' : 'unhealthy', dash(s.version), paintState(s.state), dash(s.error)]),
      ),
    );
  } else if (report) {
    out.push(
      table(
        ['SERVICE', 'VERSION', 'STATE', 'OUT OF SYNC SINCE', 'LAST CHECKED', 'ERROR'],
        report.services.map((s) => [
          s.name,
          dash(s.version),
          paintState(s.state),
          dash(s.outOfSyncSince),
          dash(s.lastCheckedAt),
          dash(s.error),
        ]),
      ),
    );
  }
  if (gateway) {
    if (out.at(-1) !== '') out.push('');
    if (gateway.kind === 'ok') {
      const r = gateway.report;
      out.push(`Gateway ${base}: ${paintState(r.status)}, last checked ${dash(r.checkedAt)}${r.message ? ` — ${r.message}` : ''}`);
    } else if (gateway.kind === 'unreachable') {
      out.push(`Gateway ${base}: ${paintState('unreachable')} — ${gateway.error}`);
    }
  }
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  loadDotEnv();
  try {
    const argv = npmForwardedFlags(process.argv.slice(2), process.env, 'sync:check', ['gateway-only', 'services-only', 'json']);
    process.exitCode = await run(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sync-check: ${err.message}\n\n${USAGE}\n`);
    } else {
      // Never a stack trace: name the problem, keep the usage exit code.
      process.stderr.write(`sync-check: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    }
    process.exitCode = EXIT.usage;
  }
}

await main();
