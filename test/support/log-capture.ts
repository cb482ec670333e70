/**
 * Pino log lines as tests read them: a capture of a logger's lines in process, and the one
 * filter by message both it and a replica process's stdout lines (replicas.ts) use. Free of
 * `src/`, so that unit tests can use it without loading a gateway.
 */
import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

/** The lines whose `msg` is `msg` (a string) or matches it (a RegExp). */
export function linesWithMsg(lines: ReadonlyArray<Record<string, unknown>>, msg: string | RegExp): Array<Record<string, unknown>> {
  return lines.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));
}

/** Captured log lines of a test gateway (or of anything else that takes a pino logger). */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger;
  constructor(level = 'debug') {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    this.logger = pino({ level }, stream);
  }
  find(msg: string | RegExp): Array<Record<string, unknown>> {
    return linesWithMsg(this.lines, msg);
  }
}
