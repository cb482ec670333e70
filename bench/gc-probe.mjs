/* global process */
// Preloaded into the gateway process by `npm run bench -- --soak` (`node --expose-gc --import`).
// On SIGUSR2: a full GC, then one stderr line `BENCH_HEAP {"heapUsed":…,"rss":…}`.
// Plain JS so that it also loads in front of the built gateway (dist/), without tsx.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  process.stderr.write(
    `BENCH_HEAP ${JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, gc: typeof globalThis.gc === 'function' })}\n`,
  );
});
