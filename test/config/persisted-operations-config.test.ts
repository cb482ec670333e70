import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { checkManifest } from '../../src/graphql/plugins/use-persisted-operations.js';
import { getSchema } from '../../src/schema/index.js';

/**
 * GRAPHQL_PERSISTED_OPERATIONS and GRAPHQL_TRUSTED_ONLY: a bad manifest (path or content) stops
 * start-up with a ConfigError naming the variable; the real process edge exits 1 with it.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'gw-pq-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const BASE: Record<string, string> = {
  JWT_SECRET: 'a-jwt-secret-that-is-at-least-32-characters-long',
  AUTH_SERVICE_URL: 'http://127.0.0.1:1',
  COMMENT_SERVICE_URL: 'http://127.0.0.1:1',
  INDUSTRY_SERVICE_URL: 'http://127.0.0.1:1',
  NPS_SERVICE_URL: 'http://127.0.0.1:1',
};

let n = 0;
function manifestFile(content: string): string {
  const file = join(dir, `m${n++}.json`);
  writeFileSync(file, content);
  return file;
}

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted it');
}

describe('config: persisted operations', () => {
  const doc = 'query Q { industries { id } }';

  it('defaults: no manifest, not trusted-only', () => {
    const { graphql } = loadConfig(BASE);
    expect(graphql.persistedOperations.size).toBe(0);
    expect(graphql.trustedOnly).toBe(false);
  });

  it('reads the manifest `npm run codegen` writes', () => {
    const { graphql } = loadConfig({
      ...BASE,
      GRAPHQL_PERSISTED_OPERATIONS: join(ROOT, 'test/generated/persisted-documents.json'),
      GRAPHQL_TRUSTED_ONLY: 'true',
    });
    expect(graphql.persistedOperations.size).toBeGreaterThan(0);
    for (const [hash, document] of graphql.persistedOperations) expect(sha256(document)).toBe(hash);
    expect(graphql.trustedOnly).toBe(true);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.json'), /cannot read .*nope\.json \(ENOENT\)/],
    ['not JSON', () => manifestFile('{ nope'), /is not JSON/],
    ['an array', () => manifestFile('["x"]'), /must be a JSON object/],
    ['a key that is no SHA-256 hex', () => manifestFile(JSON.stringify({ abc: doc })), /lowercase SHA-256 hex hash \(entry "abc"\)/],
    ['a value that is no string', () => manifestFile(JSON.stringify({ [sha256(doc)]: 42 })), /must be a GraphQL document/],
    [
      'a hash that is not its document’s',
      () => manifestFile(JSON.stringify({ [sha256('other')]: doc })),
      /is not the SHA-256 of its document/,
    ],
  ])('refuses %s, naming GRAPHQL_PERSISTED_OPERATIONS', (_name, path, message) => {
    const err = configError({ GRAPHQL_PERSISTED_OPERATIONS: path() });
    expect(err.issues).toEqual([{ variable: 'GRAPHQL_PERSISTED_OPERATIONS', message: expect.stringMatching(message) }]);
  });

  it('GRAPHQL_TRUSTED_ONLY=true without a manifest is refused (nothing could run)', () => {
    expect(configError({ GRAPHQL_TRUSTED_ONLY: 'true' }).issues.map((i) => i.variable)).toEqual(['GRAPHQL_TRUSTED_ONLY']);
    expect(configError({ GRAPHQL_TRUSTED_ONLY: 'sometimes' }).issues.map((i) => i.variable)).toEqual(['GRAPHQL_TRUSTED_ONLY']);
  });

  it.each([
    ['does not parse', 'query {', /does not parse/],
    ['holds no operation', 'fragment F on Query { industries { id } }', /holds no operation/],
    [
      'is not valid for the schema',
      'query { industries { noSuchField } }',
      /is not valid for the schema: Cannot query field "noSuchField"/,
    ],
  ])('at start-up, a manifest document that %s is refused naming GRAPHQL_PERSISTED_OPERATIONS', (_name, document, message) => {
    const manifest = new Map([[sha256(document), document]]);
    let thrown: unknown;
    try {
      checkManifest(manifest, getSchema());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues).toEqual([{ variable: 'GRAPHQL_PERSISTED_OPERATIONS', message: expect.stringMatching(message) }]);
  });

  it('the manifest `npm run codegen` wrote is valid for the schema', () => {
    expect(() =>
      checkManifest(
        loadConfig({ ...BASE, GRAPHQL_PERSISTED_OPERATIONS: join(ROOT, 'test/generated/persisted-documents.json') }).graphql
          .persistedOperations,
        getSchema(),
      ),
    ).not.toThrow();
  });

  it.each([
    [
      'a manifest that cannot be read',
      () => 'missing.json',
      /^Invalid configuration:\n {2}- GRAPHQL_PERSISTED_OPERATIONS: cannot read .*missing\.json \(ENOENT\)/,
    ],
    [
      'a manifest document the schema refuses',
      () => manifestFile(JSON.stringify({ [sha256('query { nope }')]: 'query { nope }' })),
      /Invalid configuration:\n {2}- GRAPHQL_PERSISTED_OPERATIONS: entry [0-9a-f]{64} is not valid for the schema/,
    ],
  ])(
    'the gateway process exits 1 on %s, with one message naming the variable, no stack',
    async (_name, manifest, message) => {
      const cwd = mkdtempSync(join(dir, 'cwd-'));
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
        const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/main.ts')], {
          cwd,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? cwd,
            ...BASE,
            FEATURE_SYNC_MONITORING: 'false',
            HOST: '127.0.0.1',
            PORT: '0',
            GRAPHQL_PERSISTED_OPERATIONS: manifest(),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          fail(new Error(`the gateway did not exit: ${out} ${err}`));
        }, 60_000);
        child.on('error', fail);
        child.on('exit', (c) => {
          clearTimeout(timer);
          done({ code: c, stdout: out, stderr: err });
        });
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stdout).not.toMatch(/listening/);
    },
    90_000,
  );
});
