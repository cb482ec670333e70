import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY, graphiqlTabs } from '../../../src/graphql/yoga.js';
import { getSchema } from '../../../src/schema/index.js';

/** The operations GraphiQL opens with are valid against the schema (a renamed field would break them silently). */
describe('GraphiQL example tabs', () => {
  it('the dashboard first, then users(ids:), syncStatus, serviceEvents and an admin mutation; every one valid', () => {
    const tabs = graphiqlTabs({ headers: { Authorization: 'Bearer user' }, adminHeaders: { Authorization: 'Bearer admin' } });
    expect(tabs[0]?.query).toBe(EXAMPLE_QUERY);
    const roots = tabs.map((t) => /\b(query|mutation|subscription)\s+\w+[^{]*\{\s*(\w+)/.exec(t.query)?.slice(1));
    expect(roots).toEqual([
      ['query', 'userDashboard'],
      ['query', 'users'],
      ['query', 'syncStatus'],
      ['subscription', 'serviceEvents'],
      ['mutation', 'openBreaker'],
    ]);
    // graphql-js 16 does not refuse a subscription the schema lacks: the field must exist.
    expect(getSchema().getSubscriptionType()?.getFields().serviceEvents).toBeDefined();
    for (const tab of tabs)
      expect(
        validate(getSchema(), parse(tab.query)).map((e) => e.message),
        tab.query,
      ).toEqual([]);
    expect(JSON.parse(tabs[0]!.headers)).toEqual({ Authorization: 'Bearer user' });
    expect(JSON.parse(tabs[4]!.headers)).toEqual({ Authorization: 'Bearer admin' });
    expect(tabs[4]?.query).toMatch(/"Headers" tab/);
  });
});
