import { createHash } from 'node:crypto';
import { parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { createPersistedOperationStore } from '../../../src/cache/persisted-operation-store.js';
import { usePersistedOperations } from '../../../src/graphql/plugins/use-persisted-operations.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The plugin inside a bare Yoga whose parse and validate are counted: a persisted operation is
 * parsed and validated on its first request only (Yoga's caches answer afterwards).
 */
describe('usePersistedOperations plugin', () => {
  const schema = createSchema({
    typeDefs: 'type Query { hello(name: String): String }',
    resolvers: { Query: { hello: (_: unknown, a: { name?: string }) => `hi ${a.name ?? ''}` } },
  });
  const counts = { parse: 0, validate: 0 };
  // graphql-js's parse and validate, counted; Yoga's caches sit after this plugin and skip them on a hit.
  const countingEngine: Plugin = {
    onParse({ setParseFn }) {
      setParseFn((source) => {
        counts.parse++;
        return parse(source);
      });
    },
    onValidate({ setValidationFn }) {
      setValidationFn((s: GraphQLSchema, d: DocumentNode, rules) => {
        counts.validate++;
        return validate(s, d, rules);
      });
    },
  };
  const manifestDoc = 'query FromManifest { hello(name: "manifest") }';
  const yoga = createYoga({
    schema,
    plugins: [
      countingEngine,
      ...usePersistedOperations({
        manifest: new Map([[sha256(manifestDoc), manifestDoc]]),
        trustedOnly: false,
        store: createPersistedOperationStore(),
      }),
    ],
  });
  const send = async (body: unknown) => {
    const res = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } };
  };
  const ext = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  it('parses and validates a registered operation once, however often it runs by hash', async () => {
    const query = 'query Hello($n: String) { hello(name: $n) }';
    const hash = sha256(query);
    expect((await send({ query, variables: { n: 'a' }, extensions: ext(hash) })).body).toEqual({ data: { hello: 'hi a' } });
    const after = { ...counts };
    for (const n of ['b', 'c', 'd'])
      expect((await send({ variables: { n }, extensions: ext(hash) })).body).toEqual({ data: { hello: `hi ${n}` } });
    expect(counts).toEqual(after);
  });

  it('parses and validates a manifest operation on its first request only', async () => {
    const before = { ...counts };
    expect((await send({ extensions: ext(sha256(manifestDoc)) })).body).toEqual({ data: { hello: 'hi manifest' } });
    expect(counts).toEqual({ parse: before.parse + 1, validate: before.validate + 1 });
    expect((await send({ extensions: ext(sha256(manifestDoc)) })).body).toEqual({ data: { hello: 'hi manifest' } });
    expect(counts).toEqual({ parse: before.parse + 1, validate: before.validate + 1 });
  });

  it('accepts an upper-case hash and registers nothing for a bad one', async () => {
    const query = '{ hello(name: "upper") }';
    expect((await send({ query, extensions: ext(sha256(query).toUpperCase()) })).status).toBe(200);
    expect((await send({ extensions: ext(sha256(query)) })).body).toEqual({ data: { hello: 'hi upper' } });
    const notHex = await send({ extensions: ext('x'.repeat(10_000)) });
    expect(notHex.status).toBe(404);
    expect(notHex.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
