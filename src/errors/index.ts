export { errorCodes, type ErrorCode } from './codes.js';
export { GatewayError, isGatewayError, type GatewayErrorOptions } from './gateway-error.js';
