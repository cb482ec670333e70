/**
 * `npm run backends`: the four reference services on fixed ports, until Ctrl-C or SIGTERM.
 *
 * Environment (a `.env` file in the working directory is read when present; the environment wins):
 * `AUTH_PORT` 4001, `COMMENT_PORT` 4002, `INDUSTRY_PORT` 4003, `NPS_PORT` 4004, `BACKENDS_HOST`
 * 127.0.0.1, `JWT_SECRET` (default {@link DEMO_JWT_SECRET}; at least 32 characters),
 * `GATEWAY_SIGNING_SECRET` (unset: no signature checks), `BACKEND_LATENCY_MS` 0,
 * `SHARED_KNOWLEDGE_VERSION` 1.0.0 (the version every service reports).
 */
import { existsSync } from 'node:fs';
import { DEFAULT_PORTS, DEMO_JWT_SECRET, SERVICE_NAMES, startBackends, type ServiceName, type StartBackendsOptions } from './index.js';

const PORT_VARS: Record<ServiceName, string> = { auth: 'AUTH_PORT', comment: 'COMMENT_PORT', industry: 'INDUSTRY_PORT', nps: 'NPS_PORT' };

function readConfig(env: NodeJS.ProcessEnv): { options: StartBackendsOptions; problems: string[] } {
  const problems: string[] = [];
  const nonBlank = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, max: number) => {
    const raw = nonBlank(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) > max) {
      problems.push(`${name} must be an integer from 0 to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const ports: Partial<Record<ServiceName, number>> = {};
  for (const name of SERVICE_NAMES) ports[name] = integer(PORT_VARS[name], DEFAULT_PORTS[name], 65_535);
  const jwtSecret = env.JWT_SECRET ?? DEMO_JWT_SECRET;
  if (jwtSecret.length < 32) problems.push('JWT_SECRET must be at least 32 characters');
  const latencyMs = integer('BACKEND_LATENCY_MS', 0, 600_000);
  const version = nonBlank('SHARED_KNOWLEDGE_VERSION') ?? '1.0.0';
  if (!/^[\x20-\x7e]{1,200}$/.test(version)) problems.push('SHARED_KNOWLEDGE_VERSION must be printable ASCII');

  const options: StartBackendsOptions = { host: nonBlank('BACKENDS_HOST') ?? '127.0.0.1', ports, jwtSecret, latencyMs, version };
  const signingSecret = nonBlank('GATEWAY_SIGNING_SECRET');
  if (signingSecret !== undefined) options.signingSecret = signingSecret;
  return { options, problems };
}

async function main(): Promise<void> {
  if (existsSync('.env')) {
    try {
      process.loadEnvFile('.env');
    } catch (error) {
      console.error(`reference backends: cannot read .env: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  const { options, problems } = readConfig(process.env);
  if (problems.length > 0) {
    console.error(`reference backends: invalid configuration: ${problems.join('; ')}`);
    process.exit(1);
  }

  let backends;
  try {
    backends = await startBackends(options);
  } catch (error) {
    console.error(`reference backends: ${(error as Error).message}`);
    process.exit(1);
  }

  console.log('reference backends listening:');
  for (const service of backends.all) console.log(`  ${service.name.padEnd(8)} ${service.url}`);
  console.log(
    `  jwt secret: ${options.jwtSecret === DEMO_JWT_SECRET ? 'the demo secret (DEMO_JWT_SECRET)' : 'from JWT_SECRET'}; ` +
      `signing: ${options.signingSecret ? 'required' : 'off'}; every seeded user's password is "password" (e.g. ada@example.com)`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    console.log(`reference backends: ${signal}, closing`);
    backends.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`reference backends: close failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
