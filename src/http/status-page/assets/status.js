// The /status page's script: served as is by the gateway (no build step), under a CSP that
// allows only this file. It reads the state through the GraphQL monitoring reads, follows the
// `serviceEvents` subscription (GraphQL over SSE, read from fetch(): EventSource cannot send an
// Authorization header) and runs the admin mutations. The markup is the server's
// (src/http/status-page/render.ts): this script only fills its `data-field` elements.

const STORAGE_KEY = 'gateway-status-credential';
/** Counters (failures, latency, hit rate) move without events: re-read them this often. */
const REFRESH_MS = 5000;
const MAX_EVENTS = 30;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30000;

const STATE_QUERY = `query StatusPage {
  syncStatus { status enabled expectedVersion checkedAt }
  services {
    name healthy
    breaker { state forced failures rejects timeouts latency { p50 p95 } }
    sync { version expectedVersion state outOfSyncSince error }
  }
  stats { replica cacheHitRate cacheHits cacheMisses }
}`;
const EVENTS_SUBSCRIPTION = 'subscription StatusEvents { serviceEvents { type service from to at replica } }';
const SERVICE_FIELDS =
  'name healthy breaker { state forced failures rejects timeouts latency { p50 p95 } } sync { version expectedVersion state outOfSyncSince error }';
const MUTATIONS = {
  resetBreaker: `mutation ResetBreaker($service: String!) { resetBreaker(service: $service) { ${SERVICE_FIELDS} } }`,
  openBreaker: `mutation OpenBreaker($service: String!) { openBreaker(service: $service) { ${SERVICE_FIELDS} } }`,
  clearCache: 'mutation ClearCache($service: String) { clearCache(service: $service) }',
  forceSync: 'mutation ForceSync { forceSync { status } }',
};

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// ---------------------------------------------------------------- credential

/** The credential of this tab: `{ value, kind: 'bearer' | 'apiKey', role }`, or null. */
function loadCredential() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    return stored && typeof stored.value === 'string' ? describeCredential(stored.value) : null;
  } catch {
    return null;
  }
}

/**
 * A JWT (three base64url parts) goes as a bearer token, anything else as an API key. The role is
 * read from the token only to decide which buttons to show: the gateway checks every call.
 */
function describeCredential(value) {
  const trimmed = value.trim();
  if (!trimmed) return null;
  const parts = trimmed.split('.');
  if (parts.length !== 3) return { value: trimmed, kind: 'apiKey', role: 'service' };
  return { value: trimmed, kind: 'bearer', role: roleOf(parts[1]) };
}

/** The `role` claim of a JWT payload (base64url JSON), or null. */
function roleOf(payload) {
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims.role === 'string' ? claims.role : null;
  } catch {
    return null;
  }
}

let credential = loadCredential();

function authHeaders() {
  if (!credential) return {};
  return credential.kind === 'bearer' ? { authorization: `Bearer ${credential.value}` } : { 'x-api-key': credential.value };
}

// ---------------------------------------------------------------- GraphQL

async function graphql(query, variables) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`The gateway answered ${res.status}.`);
  }
  if (body.errors?.length) {
    const err = body.errors[0];
    const failure = new Error(err.message);
    failure.code = err.extensions?.code ?? (res.status === 401 ? 'UNAUTHENTICATED' : undefined);
    throw failure;
  }
  if (!res.ok) throw new Error(body.message ?? `The gateway answered ${res.status}.`);
  return body.data;
}

// ---------------------------------------------------------------- rendering

const DASH = '—';
const fmtLatency = ({ p50, p95 }) => `${p50.toFixed(1)} / ${p95.toFixed(1)} ms`;
const fmtRate = (rate) => `${(rate * 100).toFixed(1)} %`;

function setField(root, name, value) {
  for (const el of $$(`[data-field="${name}"]`, root)) {
    const empty = el.dataset.empty ?? DASH;
    el.textContent = value === null || value === undefined || value === '' ? empty : String(value);
  }
}

function renderService(service) {
  const card = $(`.card[data-service="${CSS.escape(service.name)}"]`);
  if (!card) return;
  const sync = service.sync;
  card.dataset.health = service.healthy ? 'healthy' : 'unhealthy';
  card.dataset.breaker = service.breaker.state;
  card.dataset.sync = sync?.state ?? '';
  setField(card, 'health', card.dataset.health);
  setField(card, 'version', sync?.version);
  setField(card, 'expectedVersion', sync?.expectedVersion);
  setField(card, 'sync', sync?.state);
  setField(card, 'outOfSyncSince', sync?.outOfSyncSince);
  setField(card, 'error', sync?.error);
  setField(card, 'breaker', service.breaker.state);
  setField(card, 'forced', service.breaker.forced ? 'forced' : '');
  setField(card, 'failures', service.breaker.failures);
  setField(card, 'rejects', service.breaker.rejects);
  setField(card, 'timeouts', service.breaker.timeouts);
  setField(card, 'latency', fmtLatency(service.breaker.latency));
}

function renderState(data) {
  // A read that was in flight when the credential was forgotten shows nothing.
  if (!canRead()) return;
  for (const service of data.services) renderService(service);
  const summary = $('#summary');
  setField(summary, 'syncStatus', data.syncStatus.enabled ? data.syncStatus.status : 'off');
  setField(summary, 'expectedVersion', data.syncStatus.expectedVersion);
  setField(summary, 'checkedAt', data.syncStatus.checkedAt);
  setField(summary, 'cacheHitRate', fmtRate(data.stats.cacheHitRate));
  setField(summary, 'cacheHits', data.stats.cacheHits);
  setField(summary, 'cacheMisses', data.stats.cacheMisses);
  setField(summary, 'replica', data.stats.replica);
  document.body.dataset.state = 'shown';
}

function clearState() {
  for (const el of $$('[data-field]')) el.textContent = el.dataset.empty ?? DASH;
  for (const card of $$('.card')) {
    delete card.dataset.health;
    delete card.dataset.breaker;
    delete card.dataset.sync;
  }
  $('#events').replaceChildren();
  $('#no-events').hidden = false;
  document.body.dataset.state = 'hidden';
}

/** One event line, as the server writes it (`eventItem` in render.ts). */
function eventItem(event) {
  const li = document.createElement('li');
  li.dataset.type = event.type;
  const time = document.createElement('time');
  time.dateTime = event.at;
  time.textContent = event.at;
  const service = document.createElement('strong');
  service.textContent = event.service ?? 'all';
  const replica = document.createElement('small');
  replica.textContent = event.replica;
  li.append(time, ' ', service, ` ${event.type}: ${event.from ?? DASH} → ${event.to ?? DASH} `, replica);
  return li;
}

function addEvent(event) {
  const list = $('#events');
  list.prepend(eventItem(event));
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  $('#no-events').hidden = true;
}

function setLive(text) {
  $('#live').textContent = text;
}

function notice(text) {
  $('#notice').textContent = text;
}

// ---------------------------------------------------------------- state

const monitoringPublic = document.body.dataset.monitoring === 'public';
const canRead = () => monitoringPublic || credential !== null;

let refreshing = null;
let refreshAgain = false;

/** Re-reads the state; calls arriving while one read runs share one more read after it. */
async function refresh() {
  if (!canRead()) return;
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      renderState(await graphql(STATE_QUERY));
    } catch (err) {
      if (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN') {
        notice(`The credential was refused (${err.code}): ${err.message}`);
        if (!monitoringPublic) clearState();
      } else {
        notice(`Could not read the state: ${err.message}`);
      }
    } finally {
      refreshing = null;
    }
    if (refreshAgain) {
      refreshAgain = false;
      await refresh();
    }
  })();
  return refreshing;
}

// ---------------------------------------------------------------- live events

let stream = null;

/**
 * Follows `serviceEvents` over GraphQL over SSE ("distinct connections" mode): a POST with
 * `accept: text/event-stream`, read as a stream. Each event refreshes the state; a dropped
 * stream is opened again after a growing pause.
 */
async function follow() {
  stream?.abort();
  if (!canRead()) return;
  const controller = new AbortController();
  stream = controller;
  let retryMs = RETRY_MIN_MS;
  while (!controller.signal.aborted) {
    try {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify({ query: EVENTS_SUBSCRIPTION }),
        signal: controller.signal,
      });
      if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
        throw new Error(`the gateway answered ${res.status} without an event stream`);
      }
      setLive('live');
      await readEvents(res.body, (message) => {
        retryMs = RETRY_MIN_MS;
        if (message.errors?.length) throw new Error(message.errors[0].message);
        const event = message.data?.serviceEvents;
        if (event) {
          addEvent(event);
          void refresh();
        }
      });
      if (!controller.signal.aborted) throw new Error('the event stream ended');
    } catch (err) {
      if (controller.signal.aborted) return;
      setLive(`not live (${err.message}); refreshing every ${REFRESH_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  }
}

/** Reads Server-Sent Events from `body`, calling `onNext` with each `next` event's parsed data. */
async function readEvents(body, onNext) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (type === 'complete') return;
        if (type === 'next' && data.length > 0) onNext(JSON.parse(data.join('\n')));
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- admin actions

function showAdmin() {
  const admin = credential?.role === 'admin';
  for (const el of $$('.admin')) el.hidden = !admin;
  $('#credential-role').textContent = credential
    ? `${credential.kind === 'bearer' ? 'token' : 'API key'} in use${credential.role ? ` (role ${credential.role})` : ''}`
    : '';
}

async function runAction(button) {
  const { action, service } = button.dataset;
  const query = MUTATIONS[action];
  if (!query) return;
  const target = service ?? 'all services';
  button.disabled = true;
  notice(`${action} ${target}…`);
  try {
    const data = await graphql(query, service ? { service } : {});
    const result = data[action];
    if (result && typeof result === 'object' && 'breaker' in result) renderService(result);
    notice(action === 'clearCache' ? `clearCache ${target}: ${result} entries removed` : `${action} ${target}: done`);
    await refresh();
  } catch (err) {
    notice(`${action} ${target} failed${err.code ? ` (${err.code})` : ''}: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- start

function useCredential(next) {
  credential = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ value: next.value }));
  else sessionStorage.removeItem(STORAGE_KEY);
  showAdmin();
  if (!canRead()) {
    stream?.abort();
    clearState();
    setLive('no state shown');
    return;
  }
  void refresh();
  void follow();
}

function start() {
  const form = $('#credential');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('#credential-value');
    const next = describeCredential(input.value);
    input.value = '';
    notice(next ? '' : 'Paste an admin token or an API key first.');
    if (next) useCredential(next);
  });
  $('#credential-forget').addEventListener('click', () => {
    notice('The credential is forgotten.');
    useCredential(null);
  });
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
    if (button) void runAction(button);
  });
  showAdmin();
  if (canRead()) {
    void refresh();
    void follow();
  }
  setInterval(() => {
    if (document.visibilityState === 'visible') void refresh();
  }, REFRESH_MS);
}

start();
