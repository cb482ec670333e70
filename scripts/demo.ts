/**
 * `npm run demo`: the four reference backends and the gateway in front of them, on loopback,
 * with requests signed, a ready user token and admin token, and GraphiQL opened with an
 * example dashboard query. Runs until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { createGatewayApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { readGatewayVersion } from '../src/version.js';
import { DEMO_JWT_SECRET, startBackends } from '../reference-backends/index.js';
import { gatewayEnv, mintToken } from '../test/support/kit.js';

async function main(): Promise<void> {
  const jwtSecret = process.env.JWT_SECRET ?? DEMO_JWT_SECRET;
  const signingSecret = process.env.GATEWAY_SIGNING_SECRET ?? randomBytes(24).toString('hex');
  const backends = await startBackends({ jwtSecret, signingSecret });

  let config;
  try {
    config = loadConfig(
      {
        ...process.env,
        ...gatewayEnv(backends.urls, { jwtSecret, signingSecret }),
        HOST: process.env.HOST ?? '127.0.0.1',
        ENABLE_COLORS: process.env.ENABLE_COLORS ?? (process.stdout.isTTY ? 'true' : 'false'),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      readGatewayVersion(),
    );
  } catch (err) {
    await backends.close();
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const userToken = await mintToken(jwtSecret, 'u1', 'user', '12h');
  const adminToken = await mintToken(jwtSecret, 'u2', 'admin', '12h');
  const app = await createGatewayApp({
    config,
    graphiql: { headers: { Authorization: `Bearer ${userToken}` }, adminHeaders: { Authorization: `Bearer ${adminToken}` } },
  });
  let url: string;
  try {
    url = await app.listen();
  } catch (err) {
    process.stderr.write(
      `Cannot start the gateway on ${config.host}:${config.port}: ${(err as Error).message}\nSet PORT to another port, e.g. PORT=3001 npm run demo\n`,
    );
    await Promise.all([app.close(), backends.close()]);
    process.exit(1);
  }

  process.stdout.write(`
  Gateway demo is running.

  GraphiQL     ${url}/graphql   (example tabs: the dashboard with the user token below, users, sync, events, an admin mutation with the admin token)
  REST         ${url}/api/orchestration/user/u1/dashboard
  Health       ${url}/health
  Status page  ${url}/status

  User token   (u1, Ada Lovelace, role user — may read only her own data)
  Bearer ${userToken}

  Admin token  (u2, Grace Hopper, role admin — may read anyone and run admin mutations)
  Bearer ${adminToken}

  Try:  curl -s -H "Authorization: Bearer ${userToken}" ${url}/api/orchestration/user/u1/dashboard
  Backends: ${Object.entries(backends.urls)
    .map(([n, u]) => `${n} ${u}`)
    .join(', ')}
  Press Ctrl-C to stop.
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping…\n');
    Promise.all([app.close(), backends.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`The demo failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
