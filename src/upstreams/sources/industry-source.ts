import type { CallContext } from '../call-context.js';
import { industriesResponse, jobsResponse, type Industry, type Job } from '../dto.js';
import { groupNewest, idList, parseBody } from '../parse-body.js';
import type { Read } from '../read-through.js';
import { readFromService, type SourceKit } from '../source-kit.js';

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
    return readFromService<Industry>(this.kit, {
      kind: 'industry',
      keys: ids,
      ttlMs: this.ttl.industries,
      fetch: async (missing) => {
        const body = await this.kit.client.getJson(`/api/industries?ids=${idList(missing)}`, ctx);
        const { industries } = parseBody(industriesResponse, body ?? { industries: [] }, 'industry');
        return new Map(industries.map((i) => [i.id, i]));
      },
    });
  }

  async all(ctx: CallContext): Promise<Read<Industry[] | null>> {
    const [result] = await readFromService<Industry[]>(this.kit, {
      kind: 'industries',
      keys: ['all'],
      ttlMs: this.ttl.industries,
      fetch: async () => {
        const body = await this.kit.client.getJson('/api/industries', ctx);
        const { industries } = parseBody(industriesResponse, body ?? { industries: [] }, 'industry');
        return new Map([['all', industries]]);
      },
    });
    return result!;
  }

  recentJobs(industryIds: readonly string[], limit: number, ctx: CallContext): Promise<Array<Read<Job[] | null>>> {
    return readFromService<Job[]>(this.kit, {
      kind: 'jobs',
      idOf: (id) => `${id}:${limit}`,
      keys: industryIds,
      ttlMs: this.ttl.jobs,
      cacheable: () => true,
      fetch: async (missing) => {
        const body = await this.kit.client.getJson(`/api/jobs/recent?industryIds=${idList(missing)}&limit=${limit}`, ctx);
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
