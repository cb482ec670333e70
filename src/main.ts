import { ConfigError, loadConfig } from './config/index.js';
import { readGatewayVersion } from './version.js';

/**
 * The process edge: read the environment once, build the app, listen, and turn signals into
 * a clean shutdown. Nothing below this file touches process.env or process.exit.
 */
async function main(): Promise<void> {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the gateway.
  }

  let config;
  try {
    config = loadConfig(process.env, readGatewayVersion());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example and docs/configuration.md for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }

  // Loaded only once the config is valid: a bad config fails fast, before Fastify, Yoga and the schema load.
  const { createGatewayApp } = await import('./app.js');
  const app = await createGatewayApp({ config });
  const log = app.services.logger;
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal while draining: the operator wants out now.
      log.warn({ signal }, 'second signal while shutting down: exiting at once');
      process.exit(1);
    }
    stopping = true;
    // Readiness flips to 503 and the listener closes at once (new connections are refused);
    // in-flight requests get SHUTDOWN_GRACE_PERIOD, then timers, pools and Redis are closed.
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    // Should closing itself hang (a handle nobody owns), do not outlive the orchestrator's patience.
    setTimeout(() => {
      log.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5000).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    const url = await app.listen();
    log.info({ url, graphql: `${url}/graphql`, profile: config.profile }, 'gateway listening');
  } catch (err) {
    const code = (err as { code?: string }).code;
    process.stderr.write(
      `Cannot listen on ${config.host}:${config.port}: ${code === 'EADDRINUSE' ? 'the port is already in use' : (err as Error).message}\n`,
    );
    await app.close();
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`The gateway failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
