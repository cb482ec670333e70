/* global process */
// Preloaded into the gateway processes of `npm run bench -- --alloc` (`node --import`).
// SIGURG (ignored by default, free in Node) toggles V8's sampling heap profiler, keeping the
// samples of objects already collected, so the sum of the samples is what was allocated
// (statistically), not what is still alive:
// - first signal: sampling starts, then one stderr line `BENCH_ALLOC_ON`;
// - second signal: it stops, the profile is written to $BENCH_ALLOC_DIR (when set) and one
//   stderr line `BENCH_ALLOC {"bytes":…,"byPackage":{…}}` reports the bytes sampled in between.
// Plain JS so that it also loads in front of the built gateway (dist/), without tsx.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
let sampling = false;

/** Where an allocation site is: a package of node_modules, Node itself, or the gateway's own code. */
function owner(url) {
  if (!url) return '(native)';
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node';
  const own = /\/src\/([^/]+)/.exec(url);
  return own ? `gateway ${own[1]}/` : url;
}

process.on('SIGURG', () => {
  if (!sampling) {
    session.post(
      'HeapProfiler.startSampling',
      { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true },
      () => {
        sampling = true;
        process.stderr.write('BENCH_ALLOC_ON\n');
      },
    );
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    sampling = false;
    if (err) {
      process.stderr.write(`BENCH_ALLOC ${JSON.stringify({ error: String(err) })}\n`);
      return;
    }
    const { profile } = result;
    let bytes = 0;
    const byPackage = {};
    const walk = (node) => {
      const size = node.selfSize ?? 0;
      bytes += size;
      const o = owner(node.callFrame.url);
      byPackage[o] = (byPackage[o] ?? 0) + size;
      for (const child of node.children ?? []) walk(child);
    };
    walk(profile.head);
    if (process.env.BENCH_ALLOC_DIR)
      writeFileSync(join(process.env.BENCH_ALLOC_DIR, `alloc-${process.pid}.heapprofile`), JSON.stringify(profile));
    process.stderr.write(`BENCH_ALLOC ${JSON.stringify({ bytes, byPackage })}\n`);
  });
});
