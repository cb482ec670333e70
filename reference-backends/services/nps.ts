import { latestNpsScores, summarizeNps, type NpsScore } from '../data.js';
import { HttpError, parseIdList, requireObject, requireUserId, scramble } from '../http-utils.js';
import type { ServiceModule } from '../routing.js';

/** NPS service (backends.md, "NPS service"): each user's latest answer counts, in the scores and in the summary. */
export function createNpsService(): ServiceModule {
  let latest = new Map<string, Readonly<NpsScore>>();
  let lastAt = 0;

  function seed(): void {
    latest = new Map(latestNpsScores().map((s) => [s.userId, s]));
  }
  seed();

  return {
    name: 'nps',
    echoPrefix: '/api/nps/echo',
    reset: seed,
    routes: [
      {
        method: 'GET',
        path: '/api/nps/scores',
        handler: ({ query, url }) => {
          const raw = query.get('userIds');
          if (raw === null) throw new HttpError(400, 'invalid_request', 'userIds is required');
          const found = parseIdList(raw, 'userIds').flatMap((id) => latest.get(id) ?? []);
          return { status: 200, body: { scores: scramble(found, url) } };
        },
      },
      {
        method: 'GET',
        path: '/api/nps/summary',
        handler: () => ({ status: 200, body: summarizeNps(Array.from(latest.values(), (s) => s.score)) }),
      },
      {
        method: 'POST',
        path: '/api/nps/responses',
        body: 'json',
        handler: ({ headers, json }) => {
          const userId = requireUserId(headers);
          const { score } = requireObject(json);
          if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > 10) {
            throw new HttpError(400, 'invalid_request', 'score must be an integer from 0 to 10');
          }
          lastAt = Math.max(Date.now(), lastAt + 1);
          const answer: Readonly<NpsScore> = Object.freeze({ userId, score, respondedAt: new Date(lastAt).toISOString() });
          latest.set(userId, answer);
          return { status: 201, body: answer };
        },
      },
    ],
  };
}
