import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { duplicateKeys } from '../../support/json-keys.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim()),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** JSON lines with unique keys; the upstream's name survives in both outputs. */
describe('logger', () => {
  it('JSON: the gateway is `app`, the upstream is the one `service` key', () => {
    const out = sink();
    const log = createLogger({ level: 'info', colors: false }, out.stream as never);
    log.warn({ service: 'auth' }, 'circuit breaker opened');
    log.child({ component: 'sync' }).info({ service: 'comment', state: 'in_sync' }, 'sync state established');
    const [a, b] = out.lines();
    expect(duplicateKeys(a!)).toEqual([]);
    expect(duplicateKeys(b!)).toEqual([]);
    expect(JSON.parse(a!)).toMatchObject({ app: 'gateway', service: 'auth', msg: 'circuit breaker opened' });
    expect(JSON.parse(b!)).toMatchObject({ app: 'gateway', component: 'sync', service: 'comment', state: 'in_sync' });
    expect(a!.match(/"service"/g)).toHaveLength(1);
  });

  it('a logged key that repeats a child binding is written once; a different value is kept as <key>_2', () => {
    const out = sink();
    const log = createLogger({ level: 'info', colors: false }, out.stream as never);
    const req = log.child({ requestId: 'r-1' });
    req.info({ requestId: 'r-1', audit: true }, 'audit');
    req.info({ requestId: 'other', n: 1 }, 'odd');
    req.info('plain message');
    const lines = out.lines();
    for (const line of lines) expect(duplicateKeys(line), line).toEqual([]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'r-1', audit: true, msg: 'audit' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ requestId: 'r-1', requestId_2: 'other', n: 1 });
    expect(JSON.parse(lines[2]!)).toMatchObject({ requestId: 'r-1', msg: 'plain message' });
  });

  it('the caller keeps its object: nothing is deleted from what it passed', () => {
    const out = sink();
    const req = createLogger({ level: 'info', colors: false }, out.stream as never).child({ requestId: 'r-2' });
    const fields = { requestId: 'r-2', action: 'x' };
    req.info(fields, 'audit');
    expect(fields).toEqual({ requestId: 'r-2', action: 'x' });
  });

  it('the duplicate-key scanner itself finds repeats at any depth', () => {
    expect(duplicateKeys('{"service":"gateway","a":1,"service":"auth"}')).toEqual(['service']);
    expect(duplicateKeys('{"a":{"b":1,"b":2},"c":[{"d":1,"d":2}],"e":"\\"e\\""}')).toEqual(['a.b', 'c.[].d']);
    expect(duplicateKeys('{"a":"x,\\"a\\":1","b":[1,2]}')).toEqual([]);
  });

  it('pretty (ENABLE_COLORS=true) keeps every field, the upstream service name included', () => {
    const out = sink();
    const log = createLogger({ level: 'info', colors: true }, out.stream as never);
    for (const service of ['auth', 'comment', 'industry', 'nps'])
      log.child({ component: 'sync' }).info({ service, state: 'in_sync' }, 'sync state established');
    const text = out.text().replace(ANSI, '');
    const lines = text.split('\n').filter((l) => l.includes('sync state established'));
    expect(lines).toHaveLength(4);
    for (const service of ['auth', 'comment', 'industry', 'nps']) expect(text).toMatch(new RegExp(`service: "${service}"`));
    expect(text).toContain('app: "gateway"');
    expect(text).toContain('component: "sync"');
    expect(text).toContain('state: "in_sync"');
    expect(out.text()).toMatch(ANSI);
  });
});
