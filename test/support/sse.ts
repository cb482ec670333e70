/**
 * A GraphQL-over-SSE subscriber ("distinct connections" mode) reading the stream with fetch, as a
 * browser page does (EventSource cannot send an Authorization header).
 */
export interface SseMessage {
  event: string;
  data: string;
}

/**
 * Splits the first complete frame (the text up to a blank line) off `buffer` and parses it: its
 * `event` ('message' when it names none, ':' for a comment such as a keep-alive) and its `data`
 * lines joined. Undefined while no frame is complete.
 */
export function takeSseFrame(buffer: string): { frame: SseMessage; rest: string } | undefined {
  const end = buffer.indexOf('\n\n');
  if (end === -1) return undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of buffer.slice(0, end).split('\n')) {
    if (line.startsWith(':')) event = ':';
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  return { frame: { event, data: data.join('\n') }, rest: buffer.slice(end + 2) };
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
  // Set (and the waiters told) once the stream is over, however it ended.
  let done = false;
  const ended = (async () => {
    try {
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      const reader = res.body.getReader();
      for (;;) {
        const { value, done: eof } = await reader.read();
        if (eof) return;
        buffer += decoder.decode(value, { stream: true });
        let taken: ReturnType<typeof takeSseFrame>;
        while ((taken = takeSseFrame(buffer))) {
          buffer = taken.rest;
          const { event, data } = taken.frame;
          messages.push(taken.frame);
          if (event === 'next') results.push(JSON.parse(data) as T);
          notify();
          if (event === 'complete') return;
        }
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      notify();
    }
  })();
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
