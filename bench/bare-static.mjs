/* global process, console */
// `node bench/bare-static.mjs [seconds]` (docs/benchmark.md, "The floor is honest"): a bare node:http server answering a static ~1 KB JSON body: the least any HTTP answer costs here.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
const body = JSON.stringify({
  data: {
    userDashboard: {
      user: { id: 'u1', name: 'Ada Lovelace', email: 'ada@example.com' },
      comments: Array.from({ length: 10 }, (_, i) => ({ id: 'c' + i, body: 'A comment body of some length, number ' + i })),
    },
  },
});
const child = spawn(
  process.execPath,
  [
    '-e',
    `
const http = require('node:http'); const text = ${JSON.stringify(body)};
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }); res.end(text); });
s.keepAliveTimeout = 65000; s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((r) =>
  child.stdout.on('data', (d) => {
    const m = /PORT (\d+)/.exec(String(d));
    if (m) r(Number(m[1]));
  }),
);
const cpu = () => {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, duration: 3 });
const c0 = cpu();
const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, duration: Number(process.argv[2] ?? 8) });
const c1 = cpu();
console.log(
  JSON.stringify({
    rps: r.requests.average,
    requests: r.requests.total,
    cpuS: c1 - c0,
    reqPerCpuS: Math.round(r.requests.total / (c1 - c0)),
  }),
);
child.kill();
