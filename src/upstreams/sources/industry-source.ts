import type { CallContext } from '../call-context.js';
import { industriesResponse, jobsResponse, type Industry, type Job } from '../dto.js';
import { groupNewest, idList, parseBody } from '../parse-body.js';
import { readThrough, type Read } from '../read-through.js';
import { serviceKey, type SourceKit } from '../source-kit.js';

export interface IndustryTtls {
  industries: number;
  jobs: number;
}

/** Reads of the industry service: industries (by ids or all) and recent jobs per industry. */
export class IndustrySource {
  constructor(
    private readonly kit: SourceKit,
    private readonly ttl: IndustryTtls,
  ) {}

  byIds(ids: readonly string[], ctx: CallContext): Promise<Array<Read<Industry | null>>> {
    const { client, cache, versions } = this.kit;
    return readThrough<Industry>({
      cache,
      onStale: () => client.breaker.recordFallback(),
      keys: ids,
      ttlMs: this.ttl.industries,
      cacheKey: (id) => serviceKey(versions, 'industry', 'industry', id),
      fetch: async (missing) => {
        const body = await client.getJson(`/api/industries?ids=${idList(missing)}`, ctx);
        const { industries } = parseBody(industriesResponse, body ?? { industries: [] }, 'industry');
        return new Map(industries.map((i) => [i.id, i]));
      },
    });
  }

  async all(ctx: CallContext): Promise<Read<Industry[] | null>> {
    const { client, cache, versions } = this.kit;
    const [result] = await readThrough<Industry[]>({
      cache,
      onStale: () => client.breaker.recordFallback(),
      keys: ['all'],
      ttlMs: this.ttl.industries,
      cacheKey: () => serviceKey(versions, 'industry', 'industries', 'all'),
      fetch: async () => {
        const body = await client.getJson('/api/industries', ctx);
        const { industries } = parseBody(industriesResponse, body ?? { industries: [] }, 'industry');
        return new Map([['all', industries]]);
      },
    });
    return result!;
  }

  recentJobs(industryIds: readonly string[], limit: number, ctx: CallContext): Promise<Array<Read<Job[] | null>>> {
    const { client, cache, versions } = this.kit;
    return readThrough<Job[]>({
      cache,
      onStale: () => client.breaker.recordFallback(),
      keys: industryIds,
      ttlMs: this.ttl.jobs,
      cacheKey: (id) => serviceKey(versions, 'industry', 'jobs', `${id}:${limit}`),
      cacheable: () => true,
      fetch: async (missing) => {
        const body = await client.getJson(`/api/jobs/recent?industryIds=${idList(missing)}&limit=${limit}`, ctx);
        const { jobs } = parseBody(jobsResponse, body ?? { jobs: [] }, 'industry');
        const groups = groupNewest(
          jobs,
          (j) => j.industryId,
          (j) => j.postedAt,
          limit,
        );
        return new Map(missing.map((id) => [id, groups.get(id) ?? []]));
      },
    });
  }
}
