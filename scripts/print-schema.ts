/**
 * `npm run schema:print`: writes schema/schema.graphql and schema/subgraph.graphql (the
 * federation subgraph SDL) from the Pothos code (a test fails when either is stale).
 */
import { writeFileSync } from 'node:fs';
import { printGatewaySchema, printSubgraphSchemaSdl } from '../src/schema/index.js';

for (const [file, print] of [
  ['schema.graphql', printGatewaySchema],
  ['subgraph.graphql', printSubgraphSchemaSdl],
] as const) {
  const target = new URL(`../schema/${file}`, import.meta.url);
  writeFileSync(target, print());
  process.stdout.write(`wrote ${target.pathname}\n`);
}
