import { comments as seededComments, latestComments, type Comment } from '../data.js';
import { HttpError, oneOf, parseIdList, parseLimit, requireObject, requireUserId, scramble } from '../http-utils.js';
import type { ServiceModule } from '../routing.js';

export const MAX_COMMENT_LENGTH = 5000;

/** comment service (backends.md, "comment service"): the seeded comments plus those POSTed since start or reset. */
export function createCommentService(): ServiceModule {
  /** userId → comments POSTed, newest first. */
  let posted = new Map<string, Comment[]>();
  let nextId = seededComments.length + 1;
  let lastAt = 0;

  function newestOf(userId: string, limit: number): readonly Comment[] {
    const own = posted.get(userId);
    if (!own) return latestComments(userId, limit);
    return [...own, ...latestComments(userId, limit)]
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .slice(0, limit);
  }

  return {
    name: 'comment',
    echoPrefix: '/api/comments/echo',
    reset() {
      posted = new Map();
      nextId = seededComments.length + 1;
    },
    routes: [
      {
        method: 'GET',
        path: '/api/comments',
        handler: ({ query, url }) => {
          const which = oneOf(query, 'userId', 'userIds');
          const limit = parseLimit(query.get('limit'));
          if ('single' in which) return { status: 200, body: { comments: newestOf(which.single, limit) } };
          const mixed = parseIdList(which.plural, 'userIds').flatMap((userId) => newestOf(userId, limit));
          return { status: 200, body: { comments: scramble(mixed, url) } };
        },
      },
      {
        method: 'POST',
        path: '/api/comments',
        body: 'json',
        handler: ({ headers, json }) => {
          const userId = requireUserId(headers);
          const { body } = requireObject(json);
          if (typeof body !== 'string') throw new HttpError(400, 'invalid_request', 'body must be a string');
          if (body.trim() === '') throw new HttpError(400, 'invalid_request', 'body must not be empty');
          if (body.length > MAX_COMMENT_LENGTH) {
            throw new HttpError(400, 'invalid_request', `body must be at most ${MAX_COMMENT_LENGTH} characters`);
          }
          // Strictly increasing times, so "newest first" is well defined even within one millisecond.
          lastAt = Math.max(Date.now(), lastAt + 1);
          const comment: Comment = Object.freeze({ id: `c${nextId++}`, userId, body, createdAt: new Date(lastAt).toISOString() });
          posted.set(userId, [comment, ...(posted.get(userId) ?? [])]);
          return { status: 201, body: comment };
        },
      },
    ],
  };
}
