import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type FastApp } from '../support/app.js';

/**
 * 13.4: an admin mutation wrapped in a fragment ran with no audit line, and a RATE_LIMIT_RULES
 * field rule (Mutation.clearCache=2/60000) was skipped the same way. Audit and field rules now
 * follow the root fields that execute.
 */
const SPELLINGS: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'plain', query: 'mutation { clearCache }' },
  { name: 'inline fragment', query: 'mutation { ... on Mutation { clearCache } }' },
  { name: 'named fragment', query: 'mutation { ...Wipe } fragment Wipe on Mutation { clearCache }' },
  {
    name: 'nested fragments',
    query: 'mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ... on Mutation { clearCache } }',
  },
  { name: 'aliased', query: 'mutation { wipe: clearCache }' },
  { name: '@include(if: $v)', query: 'mutation Wipe($v: Boolean!) { clearCache @include(if: $v) }', variables: { v: true } },
  {
    name: '@skip(if: $v) in a fragment',
    query: 'mutation Wipe($v: Boolean = false) { ...F } fragment F on Mutation { clearCache @skip(if: $v) }',
  },
];

describe('security: audit and field rate limits see fragment-wrapped fields (13.4)', () => {
  let stack: FastApp;

  beforeAll(async () => {
    stack = await startApp({
      env: { RATE_LIMIT_MAX: '1000', RATE_LIMIT_MUTATION_MAX: '1000', RATE_LIMIT_RULES: 'Mutation.clearCache=2/60000' },
    });
  });
  afterAll(() => stack?.close());

  const auditsOf = (actor: string) => stack.logs.lines.filter((l) => l.audit === true && l.actor === actor);

  it.each(SPELLINGS)('$name: each call is audited and counted by Mutation.clearCache=2/60000', async ({ name, query, variables }) => {
    const actor = `admin-${name.replace(/\W+/g, '-')}`;
    const token = await stack.token(actor, 'admin');
    for (let i = 0; i < 2; i++) {
      const { body } = await stack.graphql(query, variables ?? {}, { token });
      expect(body.errors ?? []).toEqual([]);
      expect(Object.values(body.data ?? {})).toEqual([expect.any(Number)]);
    }
    const refused = await stack.graphql(query, variables ?? {}, { token });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.body.errors?.[0]?.message).toMatch(/Mutation\.clearCache/);
    expect(auditsOf(actor).map((l) => [l.action, l.outcome, l.via])).toEqual([
      ['clearCache', 'success', 'graphql'],
      ['clearCache', 'success', 'graphql'],
      ['clearCache', 'refused', 'graphql'],
    ]);
  });

  it('spellings share one budget, two aliases count twice, and a field that does not execute is neither counted nor audited', async () => {
    const actor = 'admin-mixed';
    const token = await stack.token(actor, 'admin');
    const skipped = await stack.graphql(
      'mutation Wipe($v: Boolean!) { ...F } fragment F on Mutation { clearCache @include(if: $v) }',
      { v: false },
      { token },
    );
    expect(skipped.body.errors ?? []).toEqual([]);
    expect(auditsOf(actor)).toEqual([]);
    const twice = await stack.graphql('mutation { a: clearCache ... on Mutation { b: clearCache(service: "comment") } }', {}, { token });
    expect(twice.body.errors ?? []).toEqual([]);
    expect(auditsOf(actor).map((l) => [l.action, l.outcome, l.target])).toEqual([
      ['clearCache', 'success', undefined],
      ['clearCache', 'success', 'comment'],
    ]);
    const refused = await stack.graphql('mutation { ...F } fragment F on Mutation { clearCache }', {}, { token });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('a non-admin running an admin mutation through a fragment is refused and audited as refused', async () => {
    const token = await stack.token('u7');
    const { body } = await stack.graphql(
      'mutation Go($s: String!) { ...F } fragment F on Mutation { resetBreaker(service: $s) { name } }',
      { s: 'nps' },
      { token },
    );
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(auditsOf('u7').map((l) => [l.action, l.outcome, l.target])).toEqual([['resetBreaker', 'refused', 'nps']]);
  });

  it('forceSync in a named fragment is audited', async () => {
    const token = await stack.token('admin-sync', 'admin');
    const { body } = await stack.graphql('mutation { ...S } fragment S on Mutation { s: forceSync { status } }', {}, { token });
    expect(body.errors ?? []).toEqual([]);
    expect(auditsOf('admin-sync').map((l) => [l.action, l.outcome])).toEqual([['forceSync', 'success']]);
  });

  it('a client-chosen service argument never lands in the log key the gateway uses for services (13.11)', async () => {
    const actor = 'admin-target';
    const token = await stack.token(actor, 'admin');
    await stack.graphql('mutation { resetBreaker(service: "comment") { name } }', {}, { token });
    await stack.graphql('mutation ($s: String!) { resetBreaker(service: $s) { name } }', { s: 'x'.repeat(200) }, { token });
    const lines = auditsOf(actor);
    expect(lines.map((l) => [l.action, l.outcome, l.target, l.requestedService])).toEqual([
      ['resetBreaker', 'success', 'comment', undefined],
      ['resetBreaker', 'failed', undefined, 'x'.repeat(64)],
    ]);
    for (const l of lines) expect(l).not.toHaveProperty('service');
  });
});
