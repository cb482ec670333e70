#!/usr/bin/env node
// `node scripts/check-sync.js [flags]`: the sync CLI (`npm run sync:check`) under the path the
// product's documentation gives operators. Plain JavaScript, so the machine's own Node.js (20 or
// newer) runs it without the project's toolchain; it runs the built CLI (`npm run build` first).
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const USAGE_EXIT = 3;
const [major] = process.versions.node.split('.').map(Number);
const cli = new URL('../dist/src/cli/sync-check.js', import.meta.url);

if (major < 20) {
  process.stderr.write(`check-sync: Node.js 20 or newer is needed (this is ${process.version}).\n`);
  process.exitCode = USAGE_EXIT;
} else if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(
    `check-sync: the built CLI is missing (${fileURLToPath(cli)}).\nRun \`npm run build\` first, or use \`npm run sync:check -- [flags]\`.\n`,
  );
  process.exitCode = USAGE_EXIT;
} else {
  // The CLI reads its flags from process.argv and sets process.exitCode itself.
  await import(cli.href);
}
