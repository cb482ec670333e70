import { parseArgs, styleText, type ParseArgsConfig } from 'node:util';
import { Agent, request } from 'undici';
import type { ServiceSync, SyncState } from '../sync/index.js';

/** Exit codes of `gateway.md` (`npm run sync:check`, `npm run sync:status`). */
export const EXIT = { ok: 0, degraded: 1, unreachable: 2, usage: 3 } as const;

/** A usage or configuration problem: printed without a stack trace, exit code 3. */
export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses the flags of a CLI command (no positionals, unknown flags refused) with `--help`/`-h`
 * added; returns `null` after printing `usage` when help was asked for. Bad flags are a
 * `UsageError` (exit code 3).
 */
export function parseCliFlags<O extends FlagOptions>(argv: string[], options: O, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } } as O & {
        help: { type: 'boolean'; short: 'h'; default: false };
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return null;
  }
  return parsed.values;
}

/**
 * Boolean flags npm kept for itself: `npm run sync:check --services-only` (without `--`, as the
 * product's documentation writes it) does not pass the flag on but sets
 * `npm_config_services_only=true`. Only under that npm script (`script`); flags already in `argv` stay.
 */
export function npmForwardedFlags(argv: string[], env: NodeJS.ProcessEnv, script: string, flags: readonly string[]): string[] {
  if (env.npm_lifecycle_event !== script) return argv;
  const extra = flags
    .filter((flag) => env[`npm_config_${flag.replaceAll('-', '_')}`] === 'true' && !argv.includes(`--${flag}`))
    .map((flag) => `--${flag}`);
  return extra.length > 0 ? [...argv, ...extra] : argv;
}

/** Budget of one HTTP request of the CLI. */
export const CLI_TIMEOUT_MS = 5000;

/** Reads `.env` when there is one (like the gateway); the process environment wins. */
export function loadDotEnv(): void {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone is the configuration.
  }
}

/** One keep-alive-free agent per CLI run, closed at the end so the process exits at once. */
export function createCliAgent(): Agent {
  return new Agent({ connectTimeout: CLI_TIMEOUT_MS, headersTimeout: CLI_TIMEOUT_MS, bodyTimeout: CLI_TIMEOUT_MS, pipelining: 0 });
}

export function gatewayUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? `http://localhost:${env.PORT || '3000'}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url must be an http:// or https:// URL (got "${raw}")`);
  return url.toString().replace(/\/+$/, '');
}

export type GatewayAnswer =
  { kind: 'ok'; report: GatewayReport } | { kind: 'unreachable'; error: string } | { kind: 'refused'; status: number; error: string };

/** What the CLI reads of `GET /api/gateway/sync/status` (the gateway may send more). */
export interface GatewayReport {
  status: SyncState | 'disabled';
  enabled?: boolean;
  expectedVersion: string;
  checkedAt: string | null;
  message?: string;
  services: Array<
    ServiceSync & {
      healthy?: boolean | null;
      history?: Array<{ at: string; from: string | null; state: string; version: string | null; error: string | null }>;
    }
  >;
  [key: string]: unknown;
}

/** Asks the running gateway for its sync report, with `GATEWAY_TOKEN` or `GATEWAY_API_KEY`. Never rejects. */
export async function fetchGatewayReport(base: string, env: NodeJS.ProcessEnv, agent: Agent): Promise<GatewayAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (env.GATEWAY_TOKEN) headers.authorization = `Bearer ${env.GATEWAY_TOKEN}`;
  else if (env.GATEWAY_API_KEY) headers['x-api-key'] = env.GATEWAY_API_KEY;
  try {
    const res = await request(`${base}/api/gateway/sync/status`, {
      headers,
      dispatcher: agent,
      signal: AbortSignal.timeout(CLI_TIMEOUT_MS),
    });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const b = (body ?? {}) as Record<string, unknown>;
    if (res.statusCode === 401 || res.statusCode === 403) {
      const why = typeof b.message === 'string' ? b.message : `HTTP ${res.statusCode}`;
      const hint = headers.authorization || headers['x-api-key'] ? 'the credentials were refused' : 'no credentials were given';
      return {
        kind: 'refused',
        status: res.statusCode,
        error: `the gateway answered ${res.statusCode} (${why}): ${hint}; set GATEWAY_TOKEN (an admin JWT) or GATEWAY_API_KEY`,
      };
    }
    if (res.statusCode !== 200 || !Array.isArray(b.services) || typeof b.status !== 'string') {
      return { kind: 'unreachable', error: `${base} did not answer with a sync report (HTTP ${res.statusCode})` };
    }
    return { kind: 'ok', report: body as GatewayReport };
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
    const code = e.name === 'TimeoutError' ? `no answer within ${CLI_TIMEOUT_MS} ms` : (e.code ?? e.cause?.code ?? e.message);
    return { kind: 'unreachable', error: `the gateway at ${base} is unreachable (${code})` };
  }
}

const STATE_STYLE: Record<string, Parameters<typeof styleText>[0]> = {
  in_sync: 'green',
  unknown: 'yellow',
  out_of_sync: 'yellow',
  warning: 'yellow',
  unreachable: 'red',
  critical: ['red', 'bold'],
  disabled: 'gray',
};

/** A state, coloured only when stdout is a TTY that wants colour (`styleText` checks NO_COLOR, FORCE_COLOR and isTTY). */
export function paintState(state: string): string {
  const style = STATE_STYLE[state];
  return style ? styleText(style, state, { stream: process.stdout }) : state;
}

export function bold(text: string): string {
  return styleText('bold', text, { stream: process.stdout });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** A plain-text table (hand-written: a few lines, and no table library is a dependency). */
export function table(headers: string[], rows: string[][]): string {
  const width = (s: string) => s.replace(ANSI, '').length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers.map(bold)), ...rows.map(line)].join('\n');
}

export function dash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : value;
}
