import type { IncomingHttpHeaders } from 'node:http';
import {
  VERSION_HEADER,
  describeFailure as describeUpstreamFailure,
  upstreamFailureOf,
  type CallContext,
  type ServiceClient,
} from '../upstreams/index.js';
import type { SyncClock } from './sync-clock.js';
import type { Observation } from './sync-states.js';

/** `backends.md`: the optional route a service may offer next to `/health`. */
export const STATUS_ROUTE = '/api/shared-knowledge/status';
export const HEALTH_ROUTE = '/health';

export interface ProbeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
}

/** One GET against the service; rejects on network errors and when `signal` aborts. */
export type ProbeGet = (path: string, signal: AbortSignal) => Promise<ProbeResponse>;

export interface ProbeResult extends Observation {
  /** `/health` answered 2xx. */
  healthy: boolean;
  /** The status route's `lastUpdated`, when it has one. */
  lastUpdated: string | null;
  /** `/health`'s HTTP status (undefined when unreachable). */
  healthStatus?: number;
}

export interface ProbeOptions {
  /** The whole budget of the check (both routes); past it the service is `unreachable`. */
  timeoutMs: number;
  clock: SyncClock;
  /** Aborts the check early (shutdown). */
  signal?: AbortSignal;
}

function record(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function versionOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  // Anything but a string is kept as text so the state can say it is not valid semver.
  return typeof value === 'string' ? value.trim() : JSON.stringify(value);
}

function describeFailure(err: unknown, timedOut: boolean, timeoutMs: number): string {
  // "slow": it may well be up, just slower than its budget (apart from refused or reset).
  if (timedOut || upstreamFailureOf(err) === 'timeout') return `health check did not answer within ${timeoutMs} ms (slow)`;
  return `health check failed: ${describeUpstreamFailure(err)}`;
}

/**
 * A health-check GET through the service's client, the one pipeline of every outbound call:
 * signed, traced and counted like any call, but never through its breaker (a check must see a
 * service the breaker holds off) and never retried. The check's own deadline (`signal`,
 * driven by the monitor's clock) governs; the client budget behind it only stops a dead socket.
 */
export function clientProbeGet(client: ServiceClient, ctx: CallContext, timeoutMs: number): ProbeGet {
  return (path, signal) =>
    client.request({
      method: 'GET',
      pathWithQuery: path,
      ctx,
      breaker: false,
      retries: 0,
      observeVersion: false,
      timeoutMs: Math.max(timeoutMs, 1000) + 1000,
      signal,
      read: async (res) => ({ status: res.statusCode, headers: res.headers, body: await readProbeBody(res.headers, res.body) }),
    });
}

/**
 * Checks one service: `GET /health` and the optional status route in parallel, within one
 * budget of its own (so a hanging service delays nobody else). The status route's version
 * wins over `/health`'s, which wins over a response header; a 404 on the status route is
 * normal. Never rejects.
 */
export async function probeService(get: ProbeGet, { timeoutMs, clock, signal }: ProbeOptions): Promise<ProbeResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('health check timed out'));
  }, timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [health, status] = await Promise.allSettled([get(HEALTH_ROUTE, controller.signal), get(STATUS_ROUTE, controller.signal)]);
    if (health.status === 'rejected') {
      return {
        reachable: false,
        healthy: false,
        version: null,
        lastUpdated: null,
        error: describeFailure(health.reason, timedOut, timeoutMs),
      };
    }
    const h = health.value;
    const s = status.status === 'fulfilled' && status.value.status >= 200 && status.value.status < 300 ? record(status.value.body) : {};
    const header = h.headers[VERSION_HEADER];
    const version =
      versionOf(s.version) ?? versionOf(record(h.body).sharedKnowledgeVersion) ?? versionOf(Array.isArray(header) ? header[0] : header);
    const lastUpdated = typeof s.lastUpdated === 'string' ? s.lastUpdated : null;
    return { reachable: true, healthy: h.status >= 200 && h.status < 300, healthStatus: h.status, version, lastUpdated };
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A health answer larger than this is not read (it is not a health answer). */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

/** Reads a probe's body as JSON (undefined when absent, too large or not JSON); always consumes it. */
export async function readProbeBody(
  headers: IncomingHttpHeaders,
  body: { text(): Promise<string>; dump(): Promise<void> },
): Promise<unknown> {
  const length = Number(headers['content-length']);
  if (Number.isFinite(length) && length > MAX_PROBE_BODY_BYTES) {
    await body.dump();
    return undefined;
  }
  const text = await body.text();
  return text.length > MAX_PROBE_BODY_BYTES ? undefined : parseJsonBody(text);
}

/** Parses a response body as JSON; undefined when it is not. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
