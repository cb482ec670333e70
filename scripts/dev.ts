/**
 * `npm run dev` / `npm run dev:enhanced`: the gateway under `tsx watch`, with development
 * defaults that the environment (and `.env`) override — the documented debug mode is
 * `LOG_LEVEL=debug FEATURE_REQUEST_TRACING=true npm run dev`. A script rather than
 * `VAR=${VAR:-x}` in package.json: npm runs scripts with cmd.exe on Windows, where that does not work.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type DevMode = 'dev' | 'enhanced';

/** What each mode sets when the environment does not: `dev` without the optional features, `enhanced` with pretty debug logs. */
export const DEV_DEFAULTS: Readonly<Record<DevMode, Readonly<Record<string, string>>>> = {
  dev: { FEATURE_SYNC_MONITORING: 'false', FEATURE_REQUEST_TRACING: 'false' },
  enhanced: { ENABLE_COLORS: 'true', LOG_LEVEL: 'debug', FEATURE_REQUEST_TRACING: 'true' },
};

/** `env` with the mode's defaults for every variable it leaves unset (empty counts as unset, as in the config). */
export function devEnvironment(mode: DevMode, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, value] of Object.entries(DEV_DEFAULTS[mode])) {
    if (out[name] === undefined || out[name] === '') out[name] = value;
  }
  return out;
}

function main(argv: string[]): void {
  const mode: DevMode = argv.includes('--enhanced') ? 'enhanced' : 'dev';
  try {
    // .env too wins over the defaults (the gateway would read it anyway, after them).
    process.loadEnvFile();
  } catch {
    // No .env file.
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsx, 'watch', 'src/main.ts'], {
    cwd: root,
    env: devEnvironment(mode, process.env),
    stdio: 'inherit',
  });
  // Ctrl-C reaches the whole process group: let tsx watch stop the gateway, then follow it.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
