import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { getSchema } from '../../../src/schema/index.js';
import { operationOf } from '../../../src/security/index.js';

describe('facts live on the field: response-cacheable root fields', () => {
  it('exactly userDashboard, user, users and industries declare extensions.responseCache', () => {
    const fields = Object.values(getSchema().getQueryType()!.getFields());
    const cacheable = fields.filter((f) => f.extensions.responseCache === true).map((f) => f.name);
    expect(cacheable.sort()).toEqual(['industries', 'user', 'userDashboard', 'users']);
    // The live state of the gateway is never reused.
    for (const name of ['services', 'stats', 'syncStatus'])
      expect(getSchema().getQueryType()!.getFields()[name]!.extensions.responseCache).toBeUndefined();
  });
});

describe('operationOf: the operation, found once per document and name', () => {
  const document = parse('query A { __typename } mutation B { __typename }');

  it('answers what graphql-js getOperationAST answers, from a cache', () => {
    expect(operationOf({ document, operationName: 'A' })?.operation).toBe('query');
    expect(operationOf({ document, operationName: 'B' })?.operation).toBe('mutation');
    expect(operationOf({ document, operationName: 'C' })).toBeUndefined();
    // Ambiguous without a name.
    expect(operationOf({ document })).toBeUndefined();
    expect(operationOf({ document: parse('{ __typename }') })?.operation).toBe('query');
    expect(operationOf({ document, operationName: 'A' })).toBe(operationOf({ document, operationName: 'A' }));
  });
});
