import { assertCanReadUser, canReadUser } from '../auth/index.js';
import { GatewayError, errorMessages } from '../errors/index.js';
import type { User } from '../upstreams/index.js';
import { builder } from './builder.js';
import { CommentRef } from './comment.js';
import { listSize } from './cost.js';
import { listLimit, MAX_LIST_LIMIT, served } from './field-helpers.js';
import { DEFAULT_JOBS, IndustryRef, JobRef } from './industry.js';
import { NpsScoreRef } from './nps.js';

export const DEFAULT_COMMENTS = 10;

export const UserRef = builder.objectRef<User>('User').implement({
  description: 'A user (auth service), with what the other services know of them.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.exposeString('role'),
    industry: t.field({
      type: IndustryRef,
      nullable: true,
      // Not async: the loader's promise and one then() (S3 resolves this field once per user).
      resolve: (user, _args, ctx, info) =>
        user.industryId ? ctx.loaders.industry.load(user.industryId).then((read) => served(ctx, info, read)) : null,
    }),
    comments: t.field({
      type: [CommentRef],
      nullable: true,
      description: `Newest first; limit defaults to ${DEFAULT_COMMENTS}, at most 100.`,
      extensions: listSize({ arg: 'limit', default: DEFAULT_COMMENTS, max: MAX_LIST_LIMIT }),
      args: { limit: t.arg.int({ required: false }) },
      resolve: (user, { limit }, ctx, info) =>
        ctx.loaders.comments.load({ id: user.id, limit: listLimit(limit, DEFAULT_COMMENTS) }).then((read) => served(ctx, info, read)),
    }),
    nps: t.field({
      type: NpsScoreRef,
      nullable: true,
      resolve: (user, _args, ctx, info) => ctx.loaders.nps.load(user.id).then((read) => served(ctx, info, read)),
    }),
    recentJobs: t.field({
      type: [JobRef],
      nullable: true,
      description: `Newest jobs of the user's industry; limit defaults to ${DEFAULT_JOBS}, at most 100.`,
      extensions: listSize({ arg: 'limit', default: DEFAULT_JOBS, max: MAX_LIST_LIMIT }),
      args: { limit: t.arg.int({ required: false }) },
      resolve: async (user, { limit }, ctx, info) => {
        const n = listLimit(limit, DEFAULT_JOBS);
        if (!user.industryId) return [];
        return served(ctx, info, await ctx.loaders.jobs.load({ id: user.industryId, limit: n }));
      },
    }),
  }),
});

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    description: 'One user. A `user` may read only themselves; unknown ids are null with NOT_FOUND.',
    authScopes: { authenticated: true },
    extensions: { responseCache: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx, info) => {
      assertCanReadUser(ctx.principal, String(id));
      const user = served(ctx, info, await ctx.loaders.user.load(String(id)));
      if (!user) throw new GatewayError('NOT_FOUND', { message: errorMessages.userNotFound(id) });
      return user;
    },
  }),
  users: t.field({
    type: [UserRef],
    nullable: { list: false, items: true },
    description:
      'Many users, in the order asked; null for an unknown id, and null with FORBIDDEN for one you may not read. ' +
      'At most GRAPHQL_MAX_IDS ids (default 500); the gateway asks the auth service for at most 100 per call.',
    authScopes: { authenticated: true },
    extensions: { ...listSize({ arg: 'ids' }), responseCache: true },
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_root, { ids }, ctx, info) => {
      const { maxIds } = ctx.services.config.graphql;
      if (ids.length > maxIds) {
        throw new GatewayError('BAD_USER_INPUT', { message: `At most ${maxIds} ids per query (${ids.length} given).`, details: { argument: 'ids' } });
      }
      // The user loader splits the ids into backend calls of at most MAX_BATCH (backends.md's 100).
      // graphql-js turns an Error in a list slot into a null item with its own error.
      // Each item the loader's promise and one then(), not an async frame per id.
      const items = await Promise.all(
        ids.map((raw): User | null | Error | Promise<User | null | Error> => {
          const id = String(raw);
          if (!canReadUser(ctx.principal, id)) return new GatewayError('FORBIDDEN', { message: errorMessages.notYourUser(id) });
          return ctx.loaders.user.load(id).then(
            (read) => {
              try {
                return served(ctx, info, read);
              } catch (err) {
                return err as Error;
              }
            },
            (err: unknown) => err as Error,
          );
        }),
      );
      return items as Array<User | null>;
    },
  }),
}));
