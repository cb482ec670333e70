import { getIndustry, industries, recentJobs } from '../data.js';
import { HttpError, oneOf, parseIdList, parseLimit, scramble } from '../http-utils.js';
import type { ServiceModule } from '../routing.js';

/** industry service (backends.md, "industry service"): read-only. */
export function createIndustryService(): ServiceModule {
  return {
    name: 'industry',
    echoPrefix: '/api/jobs/echo',
    reset() {},
    routes: [
      {
        method: 'GET',
        path: '/api/industries',
        handler: ({ query, url }) => {
          const raw = query.get('ids');
          if (raw === null) return { status: 200, body: { industries } };
          const found = parseIdList(raw, 'ids').flatMap((id) => getIndustry(id) ?? []);
          return { status: 200, body: { industries: scramble(found, url) } };
        },
      },
      {
        method: 'GET',
        path: '/api/industries/:id',
        handler: ({ params }) => {
          const industry = getIndustry(params.id ?? '');
          if (!industry) throw new HttpError(404, 'not_found', `industry ${params.id} does not exist`);
          return { status: 200, body: industry };
        },
      },
      {
        method: 'GET',
        path: '/api/jobs/recent',
        handler: ({ query, url }) => {
          const which = oneOf(query, 'industryId', 'industryIds');
          const limit = parseLimit(query.get('limit'));
          if ('single' in which) return { status: 200, body: { jobs: recentJobs(which.single, limit) } };
          const mixed = parseIdList(which.plural, 'industryIds').flatMap((id) => recentJobs(id, limit));
          return { status: 200, body: { jobs: scramble(mixed, url) } };
        },
      },
    ],
  };
}
