import { createRequire } from 'node:module';
import { pino, type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

export interface LoggerConfig {
  level: string;
  colors: boolean;
}

/** Headers whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-gateway-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-gateway-signature"]',
];

/**
 * pino-pretty's options for people (`ENABLE_COLORS=true`). No `ignore`: every field is kept
 * (its default only hides `hostname`, which these lines never carry).
 */
export const PRETTY_OPTIONS = { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } as const;

/** The gateway's own name on every line. Not `service`: that key names the upstream service a line is about. */
export const LOG_BASE = { app: 'gateway' } as const;

/**
 * The one logger. JSON lines to stdout (or `destination`) by default; `ENABLE_COLORS=true`
 * pretty-prints through pino-pretty (a worker thread on stdout, so the hot path never formats
 * text; in-process into a given `destination`).
 *
 * Every line has unique keys: pino writes a child logger's bindings (Fastify's `requestId`, the
 * sync monitor's `component`) and then the logged object as they are, so a call that repeats a
 * bound key would print it twice. `logMethod` drops such a key when its value is the bound one,
 * and renames it `<key>_2` when it differs (nothing is lost).
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: LOG_BASE,
    hooks: {
      logMethod(args, method) {
        const first = args[0] as unknown;
        if (first !== null && typeof first === 'object' && !(first instanceof Error)) {
          const unique = withoutBoundKeys(this, first as Record<string, unknown>);
          if (unique !== first) return method.apply(this, [unique, ...args.slice(1)] as Parameters<typeof method>);
        }
        return method.apply(this, args);
      },
    },
  };
  if (destination) {
    if (!config.colors) return pino(options, destination);
    // Loaded only here: JSON logging (production) never pays for pino-pretty's import.
    const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino(options, pinoPretty({ ...PRETTY_OPTIONS, destination, sync: true }));
  }
  if (config.colors) return pino({ ...options, transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } });
  return pino(options);
}

const chindingsSym = pino.symbols.chindingsSym;
/** Keys each logger binds, by logger; recomputed only if its bindings change (`setBindings`). */
const boundKeysOf = new WeakMap<object, { chindings: string; bindings: Record<string, unknown> }>();

function boundKeys(logger: Logger): Record<string, unknown> {
  const chindings = (logger as unknown as Record<symbol, string>)[chindingsSym] ?? '';
  let cached = boundKeysOf.get(logger);
  if (cached?.chindings !== chindings) {
    cached = { chindings, bindings: chindings ? (JSON.parse(`{${chindings.slice(1)}}`) as Record<string, unknown>) : {} };
    boundKeysOf.set(logger, cached);
  }
  return cached.bindings;
}

/** `obj` itself when no key of it is bound already, else a copy without the repeats. */
function withoutBoundKeys(logger: Logger, obj: Record<string, unknown>): Record<string, unknown> {
  const bound = boundKeys(logger);
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(bound, key)) continue;
    copy ??= { ...obj };
    const value = copy[key];
    delete copy[key];
    if (!sameValue(value, bound[key])) copy[`${key}_2`] = value;
  }
  return copy ?? obj;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Bindings went through JSON; compare what would be written.
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
