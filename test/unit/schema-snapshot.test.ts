import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printGatewaySchema } from '../../src/schema/index.js';

const checkedIn = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');

/** The part of `gateway.md`'s GraphQL block that belongs to data; the schema must be a superset. */
const CONTRACT_DATA_SDL = /* GraphQL */ `
  type Query {
    userDashboard(userId: ID!): UserDashboard
    user(id: ID!): User
    users(ids: [ID!]!): [User]!
    industries: [Industry!]!
  }
  type UserDashboard {
    user: User!
    industry: Industry
    recentJobs: [Job!]
    comments: [Comment!]
    nps: NpsScore
    degraded: [String!]!
    generatedAt: String!
  }
  type User {
    id: ID!
    name: String!
    email: String!
    role: String!
    industry: Industry
    comments(limit: Int): [Comment!]
    nps: NpsScore
    recentJobs(limit: Int): [Job!]
  }
  type Industry {
    id: ID!
    name: String!
    sector: String!
    recentJobs(limit: Int): [Job!]
  }
  type Job {
    id: ID!
    title: String!
    company: String!
    postedAt: String!
    industry: Industry
  }
  type Comment {
    id: ID!
    body: String!
    createdAt: String!
  }
  type NpsScore {
    score: Int!
    respondedAt: String!
  }
`;

describe('schema/schema.graphql', () => {
  it('is printed from the code: run `npm run schema:print` when this fails', () => {
    expect(checkedIn, 'schema/schema.graphql is stale: run `npm run schema:print` and commit it').toBe(printGatewaySchema());
  });

  it("has every data type and field of gateway.md's GraphQL block, with the same types", () => {
    const contract = buildSchema(CONTRACT_DATA_SDL);
    const ours = buildSchema(printGatewaySchema());
    // A contract field missing from ours, or typed differently, is a breaking change from contract → ours.
    const breaking = findBreakingChanges(contract, ours);
    expect(breaking.map((c) => c.description)).toEqual([]);
  });

  it('test/generated/ is what GraphQL Code Generator makes of it: run `npm run codegen` when this fails', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const { default: config } = (await import(resolve(root, 'codegen.ts'))) as { default: CodegenConfig };
    const files = await generate({ ...config, cwd: root, silent: true }, false);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(readFileSync(resolve(root, file.filename), 'utf8'), `${file.filename} is stale: run \`npm run codegen\``).toBe(file.content);
    }
  }, 30_000);
});
