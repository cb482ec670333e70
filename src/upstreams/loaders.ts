import DataLoader from 'dataloader';
import type { CallContext } from './call-context.js';
import type { Comment, Industry, Job, NpsScore, User } from './dto.js';
import type { Read } from './read-through.js';
import type { Upstreams } from './upstreams.js';

/** Backends accept at most 100 ids per call (`backends.md`). */
export const MAX_BATCH = 100;

export interface Loaders {
  readonly user: DataLoader<string, Read<User | null>>;
  readonly industry: DataLoader<string, Read<Industry | null>>;
  readonly nps: DataLoader<string, Read<NpsScore | null>>;
  readonly comments: DataLoader<ListKey, Read<Comment[] | null>, string>;
  readonly jobs: DataLoader<ListKey, Read<Job[] | null>, string>;
}

/** A list read: whose list, and how long. Keys with different limits go out as separate calls. */
export interface ListKey {
  id: string;
  limit: number;
}

/**
 * The per-request loaders (Pothos convention: never in module scope). Each is created on
 * first use, so a request that reads only users never allocates the other four.
 */
export function createLoaders(upstreams: Upstreams, ctx: CallContext): Loaders {
  const lazy = <T>(make: () => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  // A failed read is a Read with its error, never a rejection: callers decide how to answer it.
  const byId = <V>(read: (ids: readonly string[]) => Promise<Array<Read<V>>>) =>
    new DataLoader<string, Read<V>>((ids) => read(ids), { maxBatchSize: MAX_BATCH });
  const byList = <V>(read: (ids: readonly string[], limit: number) => Promise<Array<Read<V>>>) =>
    new DataLoader<ListKey, Read<V>, string>(
      async (keys) => {
        // One upstream call per distinct limit in the batch.
        const byLimit = new Map<number, number[]>();
        keys.forEach((k, i) => {
          const slots = byLimit.get(k.limit);
          if (slots) slots.push(i);
          else byLimit.set(k.limit, [i]);
        });
        const out: Array<Read<V>> = new Array(keys.length);
        await Promise.all(
          [...byLimit].map(async ([limit, slots]) => {
            const results = await read(
              slots.map((i) => keys[i]!.id),
              limit,
            );
            slots.forEach((slot, j) => (out[slot] = results[j]!));
          }),
        );
        return out;
      },
      { maxBatchSize: MAX_BATCH, cacheKeyFn: (k) => `${k.id}:${k.limit}` },
    );

  const user = lazy(() => byId((ids) => upstreams.auth.usersByIds(ids, ctx)));
  const industry = lazy(() => byId((ids) => upstreams.industry.byIds(ids, ctx)));
  const nps = lazy(() => byId((ids) => upstreams.nps.byUsers(ids, ctx)));
  const comments = lazy(() => byList((ids, limit) => upstreams.comment.byUsers(ids, limit, ctx)));
  const jobs = lazy(() => byList((ids, limit) => upstreams.industry.recentJobs(ids, limit, ctx)));
  return {
    get user() {
      return user();
    },
    get industry() {
      return industry();
    },
    get nps() {
      return nps();
    },
    get comments() {
      return comments();
    },
    get jobs() {
      return jobs();
    },
  };
}
