export {
  createRequestContext,
  type GatewayServices,
  type RequestContext,
  type RequestContextInit,
  type RequestLogger,
} from './request-context.js';
export type { ServerContext } from './server-context.js';
