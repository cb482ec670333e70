import escapeHtml from 'escape-html';
import { SERVICE_NAMES } from '../../config/index.js';
import type { ServiceView } from '../../admin/gateway-admin.js';
import type { StatusEvent, StatusSnapshot } from '../../admin/status-snapshot.js';

/*
 * The `/status` page as one server-rendered document: plain template strings, every value
 * through escape-html. The page script (assets/status.js) fills the same `data-field`
 * elements from the GraphQL reads, so the markup is written once, here.
 */

export interface StatusPageOptions {
  /** The state to show; null while monitoring is private (the script asks for a credential). */
  snapshot: StatusSnapshot | null;
  monitoringPublic: boolean;
  version: string;
  /** Query string the asset URLs carry so a new gateway version is not served a cached old script. */
  assetVersion: string;
}

const DASH = '—';

/** A value as text: `—` for nothing. */
function text(value: string | number | null | undefined, empty = DASH): string {
  return value === null || value === undefined || value === '' ? empty : escapeHtml(String(value));
}

/** p50 / p95 in milliseconds with one decimal, as the script writes them (`fmtLatency` in status.js). */
export function fmtLatency({ p50, p95 }: { p50: number; p95: number }): string {
  return `${p50.toFixed(1)} / ${p95.toFixed(1)} ms`;
}

/** A hit rate in [0, 1] as a percentage, as the script writes it (`fmtRate` in status.js). */
export function fmtRate(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** An element the script fills (`data-field`); `empty` (as `data-empty`) is what it shows for no value. */
function field(name: string, value: string | number | null | undefined, empty = DASH): string {
  return `<span data-field="${name}"${empty === DASH ? '' : ` data-empty="${empty}"`}>${text(value, empty)}</span>`;
}

function card(name: string, view: ServiceView | undefined): string {
  const sync = view?.sync ?? null;
  const health = view ? (view.healthy ? 'healthy' : 'unhealthy') : '';
  const attrs = view
    ? ` data-health="${health}" data-breaker="${escapeHtml(view.breaker.state)}" data-sync="${escapeHtml(sync?.state ?? '')}"`
    : '';
  const n = escapeHtml(name);
  const latency = view ? fmtLatency(view.breaker.latency) : null;
  return `<article class="card" data-service="${n}"${attrs} aria-labelledby="card-${n}">
  <header><h2 id="card-${n}">${n}</h2>${field('health', health)}</header>
  <dl>
    <div><dt>Version</dt><dd>${field('version', sync?.version)} <small>expected ${field('expectedVersion', sync?.expectedVersion)}</small></dd></div>
    <div><dt>Sync</dt><dd>${field('sync', sync?.state)} <small>since ${field('outOfSyncSince', sync?.outOfSyncSince)}</small></dd></div>
    <div><dt>Breaker</dt><dd>${field('breaker', view?.breaker.state)} ${field('forced', view?.breaker.forced ? 'forced' : '', '')}</dd></div>
    <div><dt>Failures</dt><dd>${field('failures', view?.breaker.failures)}</dd></div>
    <div><dt>Rejects</dt><dd>${field('rejects', view?.breaker.rejects)}</dd></div>
    <div><dt>Timeouts</dt><dd>${field('timeouts', view?.breaker.timeouts)}</dd></div>
    <div><dt>Latency p50/p95</dt><dd>${field('latency', latency)}</dd></div>
  </dl>
  <p class="error">${field('error', sync?.error, '')}</p>
  <div class="admin" hidden>
    <button type="button" data-action="resetBreaker" data-service="${n}" aria-label="Reset the ${n} breaker">Reset breaker</button>
    <button type="button" data-action="openBreaker" data-service="${n}" aria-label="Force the ${n} breaker open">Open breaker</button>
    <button type="button" data-action="clearCache" data-service="${n}" aria-label="Clear what is cached from ${n}">Clear cache</button>
  </div>
</article>`;
}

/** One event line, as the script writes it (`eventItem` in status.js). */
function eventItem(e: StatusEvent): string {
  return `<li data-type="${escapeHtml(e.type)}"><time datetime="${escapeHtml(e.at)}">${text(e.at)}</time> <strong>${text(e.service ?? 'all')}</strong> ${text(e.type)}: ${text(e.from)} → ${text(e.to)} <small>${text(e.replica)}</small></li>`;
}

export function renderStatusPage({ snapshot, monitoringPublic, version, assetVersion }: StatusPageOptions): string {
  const byName = new Map(snapshot?.services.map((s) => [s.name as string, s]));
  const v = encodeURIComponent(assetVersion);
  // Without a snapshot (private monitoring) the same fields, empty, for the script to fill.
  const summary = `<p id="summary">Sync ${field('syncStatus', snapshot && (snapshot.syncEnabled ? snapshot.syncStatus : 'off'))} · expected version ${field('expectedVersion', snapshot?.expectedVersion)} · checked ${field('checkedAt', snapshot?.checkedAt)} · cache hit rate ${field('cacheHitRate', snapshot && fmtRate(snapshot.cache.hitRate))} (${field('cacheHits', snapshot?.cache.hits)} hits, ${field('cacheMisses', snapshot?.cache.misses)} misses) · replica ${field('replica', snapshot?.replica)}</p>`;
  const events = snapshot?.events ?? [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gateway status</title>
<link rel="stylesheet" href="/status/status.css?v=${v}">
<script type="module" src="/status/status.js?v=${v}"></script>
</head>
<body data-monitoring="${monitoringPublic ? 'public' : 'private'}" data-state="${snapshot ? 'shown' : 'hidden'}">
<header class="top">
  <h1>Gateway status</h1>
  <p class="meta">gateway ${escapeHtml(version)} · <span id="live" role="status">${snapshot ? 'as of page load' : 'no state shown'}</span></p>
</header>
<main>
  ${
    monitoringPublic
      ? ''
      : `<p id="private-note" class="note">Monitoring is private on this gateway: give an admin token or an API key to see the state. It is kept in this tab only and sent as a header, never in a URL.<noscript> This needs JavaScript.</noscript></p>`
  }
  <form id="credential" hidden>
    <label for="credential-value">Admin token or API key</label>
    <input id="credential-value" name="credential" type="password" autocomplete="off" spellcheck="false">
    <button type="submit">Use</button>
    <button type="button" id="credential-forget">Forget</button>
    <span id="credential-role"></span>
  </form>
  ${summary}
  <div class="admin global" hidden>
    <button type="button" data-action="forceSync" aria-label="Check every service's version now">Force sync</button>
    <button type="button" data-action="clearCache" aria-label="Clear the whole cache">Clear all caches</button>
  </div>
  <p id="notice" role="status" aria-live="polite"></p>
  <section id="services" aria-label="Services">
${SERVICE_NAMES.map((name) => card(name, byName.get(name))).join('\n')}
  </section>
  <section id="events-section" aria-labelledby="events-title">
    <h2 id="events-title">Latest events</h2>
    <ol id="events" aria-live="polite" aria-relevant="additions">${events.map(eventItem).join('')}</ol>
    <p id="no-events"${events.length > 0 ? ' hidden' : ''}>No events yet.</p>
  </section>
</main>
</body>
</html>
`;
}
