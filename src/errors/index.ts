export { errorCodes, errorMessages, type ErrorCode } from './codes.js';
export { GatewayError, type GatewayErrorOptions } from './gateway-error.js';
export { placeOf, recode, requestError, toGraphQLError, type ToGraphQLErrorOptions } from './graphql-error.js';
