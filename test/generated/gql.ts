/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Dashboard($userId: ID!) {\n  userDashboard(userId: $userId) {\n    user {\n      id\n      name\n      email\n      role\n    }\n    industry {\n      id\n      name\n      sector\n    }\n    recentJobs {\n      id\n      title\n      company\n      postedAt\n    }\n    comments {\n      id\n      body\n      createdAt\n    }\n    nps {\n      score\n      respondedAt\n    }\n    degraded\n    generatedAt\n  }\n}": typeof types.DashboardDocument,
    "query Users($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    name\n    industry {\n      id\n      name\n    }\n    nps {\n      score\n    }\n    comments(limit: 3) {\n      id\n    }\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    industry {\n      id\n      name\n      sector\n      recentJobs(limit: 2) {\n        id\n        title\n        industry {\n          id\n        }\n      }\n    }\n    comments(limit: 2) {\n      id\n      body\n    }\n    recentJobs {\n      id\n    }\n    nps {\n      score\n    }\n  }\n}\n\nquery Industries {\n  industries {\n    id\n    name\n    sector\n  }\n}": typeof types.UsersDocument,
};
const documents: Documents = {
    "query Dashboard($userId: ID!) {\n  userDashboard(userId: $userId) {\n    user {\n      id\n      name\n      email\n      role\n    }\n    industry {\n      id\n      name\n      sector\n    }\n    recentJobs {\n      id\n      title\n      company\n      postedAt\n    }\n    comments {\n      id\n      body\n      createdAt\n    }\n    nps {\n      score\n      respondedAt\n    }\n    degraded\n    generatedAt\n  }\n}": types.DashboardDocument,
    "query Users($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    name\n    industry {\n      id\n      name\n    }\n    nps {\n      score\n    }\n    comments(limit: 3) {\n      id\n    }\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    industry {\n      id\n      name\n      sector\n      recentJobs(limit: 2) {\n        id\n        title\n        industry {\n          id\n        }\n      }\n    }\n    comments(limit: 2) {\n      id\n      body\n    }\n    recentJobs {\n      id\n    }\n    nps {\n      score\n    }\n  }\n}\n\nquery Industries {\n  industries {\n    id\n    name\n    sector\n  }\n}": types.UsersDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Dashboard($userId: ID!) {\n  userDashboard(userId: $userId) {\n    user {\n      id\n      name\n      email\n      role\n    }\n    industry {\n      id\n      name\n      sector\n    }\n    recentJobs {\n      id\n      title\n      company\n      postedAt\n    }\n    comments {\n      id\n      body\n      createdAt\n    }\n    nps {\n      score\n      respondedAt\n    }\n    degraded\n    generatedAt\n  }\n}"): (typeof documents)["query Dashboard($userId: ID!) {\n  userDashboard(userId: $userId) {\n    user {\n      id\n      name\n      email\n      role\n    }\n    industry {\n      id\n      name\n      sector\n    }\n    recentJobs {\n      id\n      title\n      company\n      postedAt\n    }\n    comments {\n      id\n      body\n      createdAt\n    }\n    nps {\n      score\n      respondedAt\n    }\n    degraded\n    generatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Users($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    name\n    industry {\n      id\n      name\n    }\n    nps {\n      score\n    }\n    comments(limit: 3) {\n      id\n    }\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    industry {\n      id\n      name\n      sector\n      recentJobs(limit: 2) {\n        id\n        title\n        industry {\n          id\n        }\n      }\n    }\n    comments(limit: 2) {\n      id\n      body\n    }\n    recentJobs {\n      id\n    }\n    nps {\n      score\n    }\n  }\n}\n\nquery Industries {\n  industries {\n    id\n    name\n    sector\n  }\n}"): (typeof documents)["query Users($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    name\n    industry {\n      id\n      name\n    }\n    nps {\n      score\n    }\n    comments(limit: 3) {\n      id\n    }\n  }\n}\n\nquery User($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    industry {\n      id\n      name\n      sector\n      recentJobs(limit: 2) {\n        id\n        title\n        industry {\n          id\n        }\n      }\n    }\n    comments(limit: 2) {\n      id\n      body\n    }\n    recentJobs {\n      id\n    }\n    nps {\n      score\n    }\n  }\n}\n\nquery Industries {\n  industries {\n    id\n    name\n    sector\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;