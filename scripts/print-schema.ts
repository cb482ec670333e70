/** `npm run schema:print`: writes schema/schema.graphql from the Pothos code (a test fails when it is stale). */
import { writeFileSync } from 'node:fs';
import { printGatewaySchema } from '../src/schema/index.js';

const target = new URL('../schema/schema.graphql', import.meta.url);
writeFileSync(target, printGatewaySchema());
process.stdout.write(`wrote ${target.pathname}\n`);
