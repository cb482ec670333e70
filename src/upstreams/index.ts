export type { CallContext } from './call-context.js';
export type { User, Industry, Job, Comment, NpsScore } from './dto.js';
export { createLoaders, MAX_BATCH, type Loaders, type ListKey } from './loaders.js';
export { readThrough, valueOf, type Read, type ReadThroughOptions } from './read-through.js';
export {
  ServiceClient,
  VERSION_HEADER,
  type UpstreamCallEvent,
  type UpstreamCallStatus,
  type UpstreamRequest,
  type UpstreamTelemetry,
} from './service-client.js';
export { ServiceVersions, type ObservedVersion } from './service-versions.js';
export { signRequest, UNSIGNED_PAYLOAD, SIGNED_BODY_LIMIT } from './signing.js';
export { Upstreams, type UpstreamsOptions } from './upstreams.js';
export {
  UpstreamHttpError,
  SURFACE_CODES,
  breakerOpenError,
  describeFailure,
  isBreakerOpen,
  isNetworkError,
  isNothingSent,
  parseRetryAfter,
  toUpstreamGatewayError,
  upstreamFailureOf,
  type UpstreamFailure,
  type UpstreamSurface,
} from './upstream-errors.js';
