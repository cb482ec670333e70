import type { IncomingHttpHeaders } from 'node:http';

/** One request a reference service received (control routes are never logged). */
export interface LoggedRequest {
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The raw request target, as received (`req.url`). */
  url: string;
  /** The query string as an object (for a repeated key, the last value). */
  query: Record<string, string>;
  /** The request headers, names lower-cased (Node's `req.headers`). */
  headers: IncomingHttpHeaders;
  /** Arrival time, Unix milliseconds. */
  at: number;
  /** null when the service verifies no signatures; else whether the request's signature was valid. */
  signatureValid: boolean | null;
}

export interface RequestLog {
  /** Oldest first. */
  all(): LoggedRequest[];
  count(filter?: (request: LoggedRequest) => boolean): number;
  clear(): void;
}

/** A bounded log (a ring buffer: pushing never copies, the oldest entries fall off). */
export class RingRequestLog implements RequestLog {
  readonly #capacity: number;
  #items: (LoggedRequest | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
    this.#items = new Array<LoggedRequest | undefined>(capacity);
  }

  push(request: LoggedRequest): void {
    this.#items[this.#next] = request;
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#size < this.#capacity) this.#size++;
  }

  all(): LoggedRequest[] {
    const out: LoggedRequest[] = [];
    const start = (this.#next - this.#size + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(start + i) % this.#capacity] as LoggedRequest);
    return out;
  }

  count(filter?: (request: LoggedRequest) => boolean): number {
    if (!filter) return this.#size;
    let n = 0;
    for (const request of this.all()) if (filter(request)) n++;
    return n;
  }

  clear(): void {
    this.#items = new Array<LoggedRequest | undefined>(this.#capacity);
    this.#next = 0;
    this.#size = 0;
  }
}
