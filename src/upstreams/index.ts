export type { CallContext } from './call-context.js';
export type { User, Industry, Job, Comment, NpsScore } from './dto.js';
export { createLoaders, MAX_BATCH, type Loaders, type ListKey } from './loaders.js';
export { readThrough, valueOf, type Read, type ReadThroughOptions } from './read-through.js';
export { ServiceClient, VERSION_HEADER, type UpstreamCallEvent } from './service-client.js';
export { ServiceVersions, type ObservedVersion } from './service-versions.js';
export { signRequest, UNSIGNED_PAYLOAD, SIGNED_BODY_LIMIT } from './signing.js';
export { Upstreams, type UpstreamsOptions } from './upstreams.js';
export { UpstreamHttpError, breakerOpenError, isBreakerOpen, isNetworkError, parseRetryAfter } from './upstream-errors.js';
