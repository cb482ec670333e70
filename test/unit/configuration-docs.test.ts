import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env-schema.js';

/**
 * docs/configuration.md and .env.example against the env schema, as error-codes.test.ts pins the
 * error table: a variable the gateway reads but the docs do not name is a variable nobody finds.
 */
const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
const variables = Object.keys(envSchema.shape);
const exampleVariables = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);

describe('configuration docs', () => {
  it.each(variables)('docs/configuration.md names %s', (name) => {
    expect(docs.includes(`\`${name}\``), `add ${name} to docs/configuration.md`).toBe(true);
  });

  it.each(variables)('.env.example lists %s', (name) => {
    expect(exampleVariables, `add "# ${name}=..." to .env.example`).toContain(name);
  });

  it('.env.example lists no variable the gateway does not read', () => {
    expect(exampleVariables.filter((name) => !variables.includes(name))).toEqual([]);
  });
});
