/**
 * The reference backends in their own process, for the benchmark: ephemeral loopback
 * ports, no signing. Prints one line `BENCH_BACKENDS {"auth":url,...}` once listening and
 * closes on SIGTERM/SIGINT. Latency is changed at run time through `/__control/faults`.
 *
 * Environment: `JWT_SECRET` (required), `BENCH_LATENCY_MS` (default 0).
 */
import { startBackends } from '../reference-backends/index.js';

const jwtSecret = process.env.JWT_SECRET;
if (!jwtSecret) {
  console.error('bench backends: JWT_SECRET is required');
  process.exit(1);
}
const backends = await startBackends({ jwtSecret, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0) });
process.stdout.write(`BENCH_BACKENDS ${JSON.stringify(backends.urls)}\n`);

const stop = () => {
  backends.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
