export { errorCodes, type ErrorCode } from './codes.js';
export { GatewayError, type GatewayErrorOptions } from './gateway-error.js';
