#!/usr/bin/env node
import {
  EXIT,
  UsageError,
  createCliAgent,
  parseCliFlags,
  dash,
  fetchGatewayReport,
  gatewayUrl,
  loadDotEnv,
  paintState,
  table,
  type GatewayReport,
} from './sync-cli.js';

const USAGE = `Usage: npm run sync:status -- [--json] [--url <gateway URL>]

Prints the running gateway's sync report (GET /api/gateway/sync/status), with each
service's recent state changes.

  --json         the report as the gateway sent it
  --url <url>    the gateway (default http://localhost:$PORT, PORT defaulting to 3000)
  -h, --help     this text

Credentials: GATEWAY_TOKEN (a JWT) or GATEWAY_API_KEY. A .env file is read.
Exit codes: 0 got the report; 2 the gateway is unreachable; 3 usage or missing/refused credentials.`;

/** How many state changes per service the text output shows. */
const HISTORY_SHOWN = 5;

function render(base: string, r: GatewayReport): string {
  const out = [`Gateway ${base}: ${paintState(r.status)} (expected ${r.expectedVersion}, last checked ${dash(r.checkedAt)})`];
  if (r.message) out.push(r.message);
  if (r.services.length > 0) {
    out.push(
      '',
      table(
        ['SERVICE', 'VERSION', 'STATE', 'HEALTH', 'OUT OF SYNC SINCE', 'LAST CHECKED', 'ERROR'],
        r.services.map((s) => [
          s.name,
          dash(s.version),
          paintState(s.state),
          s.healthy === undefined || s.healthy === null ? '-' : s.healthy ? 'ok' : 'unhealthy',
          dash(s.outOfSyncSince),
          dash(s.lastCheckedAt),
          dash(s.error),
        ]),
      ),
    );
    const changes = r.services.flatMap((s) =>
      (s.history ?? [])
        .slice(-HISTORY_SHOWN)
        .map((h) => [h.at, s.name, `${h.from ?? '(first check)'} -> ${paintState(h.state)}`, dash(h.version), dash(h.error)]),
    );
    if (changes.length > 0) {
      changes.sort((a, b) => a[0]!.localeCompare(b[0]!));
      out.push('', 'Recent state changes:', table(['AT', 'SERVICE', 'CHANGE', 'VERSION', 'ERROR'], changes));
    }
  }
  return `${out.join('\n')}\n`;
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const values = parseCliFlags(argv, { json: { type: 'boolean', default: false }, url: { type: 'string' } }, USAGE);
  if (!values) return EXIT.ok;
  const base = gatewayUrl(values.url, env);
  const agent = createCliAgent();
  try {
    const answer = await fetchGatewayReport(base, env, agent);
    if (answer.kind === 'refused') throw new UsageError(answer.error);
    if (answer.kind === 'unreachable') {
      process.stderr.write(`sync-status: ${answer.error}\n`);
      return EXIT.unreachable;
    }
    process.stdout.write(values.json ? `${JSON.stringify(answer.report, null, 2)}\n` : render(base, answer.report));
    return EXIT.ok;
  } finally {
    await agent.close();
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  try {
    process.exitCode = await run(process.argv.slice(2), process.env);
  } catch (err) {
    const usage = err instanceof UsageError;
    process.stderr.write(
      `sync-status: ${usage ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`}\n${usage ? `\n${USAGE}\n` : ''}`,
    );
    process.exitCode = EXIT.usage;
  }
}

await main();
