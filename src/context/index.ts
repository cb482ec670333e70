export { createRequestContext, type GatewayServices, type RequestContext, type RequestContextInit, type RequestLogger } from './request-context.js';
