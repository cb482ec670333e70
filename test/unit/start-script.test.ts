import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm start` is the production start, and the benchmark runs the gateway with its Node flags
// (bench/run.ts reads them from here). A flag this Node does not know would stop production
// from starting at all, so each must be accepted, and the young generation must really grow.
const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts
  .start;
const words = start.split(/\s+/);
const flags = words.filter((w) => w.startsWith('--'));

describe('npm start', () => {
  it('runs the built gateway with node and V8 heap flags', () => {
    expect(words[0]).toBe('node');
    expect(words.at(-1)).toBe('dist/src/main.js');
    expect(flags).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--max-semi-space-size=\d+$/), expect.stringMatching(/^--heap-growing-percent=\d+$/)]),
    );
  });

  it('passes flags this Node accepts, and they take effect', () => {
    // Fill the young generation once so that V8 grows it to its (raised) maximum.
    const probe = `const a=[];for(let i=0;i<3e6;i++){a.push({i});if(a.length>2e5)a.length=0}
      const s=require('v8').getHeapSpaceStatistics().find((x)=>x.space_name==='new_space');console.log(s.space_size)`;
    const run = (args: string[]) => spawnSync(process.execPath, [...args, '-e', probe], { encoding: 'utf8' });
    const withFlags = run(flags);
    expect(withFlags.stderr).toBe('');
    expect(withFlags.status).toBe(0);
    const semi = Number(/--max-semi-space-size=(\d+)/.exec(start)![1]);
    // The new space is two semi-spaces; the default maximum is 16 MB each.
    expect(Number(withFlags.stdout)).toBeGreaterThan(2 * 16 * 1024 * 1024);
    expect(Number(withFlags.stdout)).toBeLessThanOrEqual(2 * semi * 1024 * 1024 + 1024 * 1024);
  });
});
