import type { CallContext } from '../call-context.js';
import { npsScoresResponse, type NpsScore } from '../dto.js';
import { groupNewest, idList, parseBody } from '../parse-body.js';
import type { Read } from '../read-through.js';
import { readFromService, type SourceKit } from '../source-kit.js';

/** Reads of the NPS service: each user's latest score, many users in one `?userIds=` call. */
export class NpsSource {
  constructor(
    private readonly kit: SourceKit,
    private readonly ttlMs: number,
  ) {}

  byUsers(userIds: readonly string[], ctx: CallContext): Promise<Array<Read<NpsScore | null>>> {
    return readFromService<NpsScore>(this.kit, {
      kind: 'nps',
      keys: userIds,
      ttlMs: this.ttlMs,
      // "No answer yet" is a real answer too; cache it like a score.
      cacheable: () => true,
      fetch: async (missing) => {
        const body = await this.kit.client.getJson(`/api/nps/scores?userIds=${idList(missing)}`, ctx);
        const { scores } = parseBody(npsScoresResponse, body ?? { scores: [] }, 'nps');
        const latest = groupNewest(
          scores,
          (s) => s.userId,
          (s) => s.respondedAt,
          1,
        );
        return new Map(missing.map((id) => [id, latest.get(id)?.[0] ?? null] as [string, NpsScore]));
      },
    });
  }
}
