/**
 * A GraphQL-over-SSE subscriber ("distinct connections" mode) reading the stream with fetch, as a
 * browser page does (EventSource cannot send an Authorization header).
 */
export interface SseMessage {
  event: string;
  data: string;
}

export interface SseSubscription<T> {
  /** The HTTP status and headers of the stream's answer. */
  readonly status: number;
  readonly headers: Headers;
  /** Every `next` payload so far (parsed `data`). */
  readonly results: T[];
  /** Every message, comments (keep-alives) as `event: ':'`. */
  readonly messages: SseMessage[];
  /** Resolves with the first result (from now on or already received) `match` accepts. */
  next(match?: (result: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves once the server ended the stream (`event: complete` or EOF). */
  readonly ended: Promise<void>;
  close(): void;
}

export async function subscribeSse<T = { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>(
  url: string,
  query: string,
  opts: { headers?: Record<string, string>; method?: 'GET' | 'POST' } = {},
): Promise<SseSubscription<T>> {
  const abort = new AbortController();
  const method = opts.method ?? 'POST';
  const target = method === 'GET' ? `${url}?query=${encodeURIComponent(query)}` : url;
  const res = await fetch(target, {
    method,
    signal: abort.signal,
    headers: { accept: 'text/event-stream', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    ...(method === 'POST' ? { body: JSON.stringify({ query }) } : {}),
  });
  const results: T[] = [];
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event = ':';
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          messages.push({ event, data: data.join('\n') });
          if (event === 'next') results.push(JSON.parse(data.join('\n')) as T);
          notify();
          if (event === 'complete') return;
        }
      }
    } catch {
      // aborted by close()
    } finally {
      notify();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
    notify();
  });
  return {
    status: res.status,
    headers: res.headers,
    results,
    messages,
    ended,
    next(match = () => true, timeoutMs = 10_000) {
      return new Promise<T>((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < results.length; seen++) {
            if (match(results[seen]!)) {
              cleanup();
              resolve(results[seen]!);
              return;
            }
          }
          if (done) {
            cleanup();
            reject(new Error(`The stream ended without a matching result; got ${JSON.stringify(results)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No matching result within ${timeoutMs} ms; got ${JSON.stringify(results)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      abort.abort();
    },
  };
}
