import type { CallContext } from '../call-context.js';
import { commentsResponse, type Comment } from '../dto.js';
import { groupNewest, idList, parseBody } from '../parse-body.js';
import { readThrough, type Read } from '../read-through.js';
import { serviceKey, type SourceKit } from '../source-kit.js';

/** Reads of the comment service: the newest comments of many users in one `?userIds=` call. */
export class CommentSource {
  constructor(
    private readonly kit: SourceKit,
    private readonly ttlMs: number,
  ) {}

  byUsers(userIds: readonly string[], limit: number, ctx: CallContext): Promise<Array<Read<Comment[] | null>>> {
    const { client, cache, versions } = this.kit;
    return readThrough<Comment[]>({
      cache,
      onStale: () => client.breaker.recordFallback(),
      keys: userIds,
      ttlMs: this.ttlMs,
      cacheKey: (userId) => serviceKey(versions, 'comment', 'comments', `${userId}:${limit}`),
      // A user without comments is a real, cacheable answer: an empty list.
      cacheable: () => true,
      fetch: async (missing) => {
        const body = await client.getJson(`/api/comments?userIds=${idList(missing)}&limit=${limit}`, ctx);
        const { comments } = parseBody(commentsResponse, body ?? { comments: [] }, 'comment');
        const groups = groupNewest(
          comments,
          (c) => c.userId,
          (c) => c.createdAt,
          limit,
        );
        return new Map(missing.map((id) => [id, groups.get(id) ?? []]));
      },
    });
  }
}
