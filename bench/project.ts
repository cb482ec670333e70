/**
 * The project root and the Node flags of its `npm start`. Nothing runs on import, so the soak
 * (soak/) can use these too: `./cli.js`, which re-exports them to the bench, parses the bench's
 * flags as soon as it is imported.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const splitArgs = (text: string): string[] => text.split(/\s+/).filter(Boolean);

/**
 * The Node/V8 flags `npm start` gives the gateway (`node <flags> dist/src/main.js` in
 * package.json), so the bench and the soak run the gateway as production starts it and not
 * with a bare `node`.
 */
export function startScriptNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = splitArgs(pkg.scripts?.start ?? '');
  if (words[0] !== 'node') throw new Error(`package.json "start" should run node, got "${pkg.scripts?.start}"`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}
