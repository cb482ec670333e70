/**
 * The bench's command line: flags, derived settings, paths and the extra gateway environment.
 * Parsed once, when `bench/run.ts` imports this module.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, splitArgs, startScriptNodeArgs } from './project.js';

// The bench's modules take these from here, with the rest of the command line.
export { ROOT, splitArgs };
export const RESULTS = join(ROOT, 'bench', 'results');
export const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';
export const USER_COUNT = 500;

const BENCH_OPTIONS = {
  quick: { type: 'boolean', default: false },
  soak: { type: 'boolean', default: false },
  tsx: { type: 'boolean', default: false },
  only: { type: 'string' },
  connections: { type: 'string' },
  duration: { type: 'string' },
  rounds: { type: 'string' },
  warmup: { type: 'string' },
  'soak-seconds': { type: 'string' },
  'update-docs': { type: 'boolean', default: false },
  'cpu-prof': { type: 'boolean', default: false },
  alloc: { type: 'boolean', default: false },
  'no-build': { type: 'boolean', default: false },
  env: { type: 'string', multiple: true },
  yoga: { type: 'boolean', default: false },
  entry: { type: 'string' },
  compare: { type: 'string' },
  'node-args': { type: 'string' },
  'compare-node-args': { type: 'string' },
  compressed: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const USAGE = `Usage: npm run bench -- [--quick] [--soak] [--only S1,S1-persisted,S2,S3,S4] [--yoga] [--cpu-prof] [--alloc] [--compressed]
       [--connections N] [--duration S] [--rounds N] [--warmup S] [--soak-seconds S]
       [--env KEY=VALUE ...] [--entry path/to/main.js] [--compare path/to/other/main.js] [--no-build] [--tsx] [--update-docs]
       [--node-args="--flag ..."] [--compare-node-args="--flag ..."]
See docs/benchmark.md for what each scenario measures.`;

export const { values: flags } = parseBenchArgs();

export function parseBenchArgs() {
  try {
    const parsed = parseArgs({ options: BENCH_OPTIONS });
    if (parsed.values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}
export const quick = flags.quick ?? false;
export const settings = {
  connections: Number(flags.connections ?? 32),
  durationS: Number(flags.duration ?? (quick ? 2 : 10)),
  rounds: Number(flags.rounds ?? (quick ? 1 : 3)),
  warmupS: Number(flags.warmup ?? (quick ? 1 : 5)),
  soakS: Number(flags['soak-seconds'] ?? 300),
};
for (const [name, value] of Object.entries(settings)) {
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive number (got ${value}).\n${USAGE}\n`);
    process.exit(2);
  }
}

/** `--env KEY=VALUE` (repeatable): extra gateway environment, to measure one lever at a time. */
export const extraEnv: Record<string, string> = Object.fromEntries(
  (flags.env ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got "${kv}"`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  }),
);

/** The gateway's Node/V8 flags: `--node-args`, or those `npm start` gives it (./project.ts). */
export const gatewayNodeArgs = flags['node-args'] !== undefined ? splitArgs(flags['node-args']) : startScriptNodeArgs();

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
