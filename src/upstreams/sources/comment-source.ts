import type { CallContext } from '../call-context.js';
import { commentsResponse, type Comment } from '../dto.js';
import { groupNewest, idList, parseBody } from '../parse-body.js';
import type { Read } from '../read-through.js';
import { readFromService, type SourceKit } from '../source-kit.js';

/** Reads of the comment service: the newest comments of many users in one `?userIds=` call. */
export class CommentSource {
  constructor(
    private readonly kit: SourceKit,
    private readonly ttlMs: number,
  ) {}

  byUsers(userIds: readonly string[], limit: number, ctx: CallContext): Promise<Array<Read<Comment[] | null>>> {
    return readFromService<Comment[]>(this.kit, {
      kind: 'comments',
      idOf: (userId) => `${userId}:${limit}`,
      keys: userIds,
      ttlMs: this.ttlMs,
      // A user without comments is a real, cacheable answer: an empty list.
      cacheable: () => true,
      fetch: async (missing) => {
        const body = await this.kit.client.getJson(`/api/comments?userIds=${idList(missing)}&limit=${limit}`, ctx);
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
