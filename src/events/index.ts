export {
  createGatewayPubSub,
  type CacheInvalidation,
  type GatewayEventBus,
  type GatewayPubSub,
  type GatewayPubSubOptions,
  type GatewayTopics,
  type ServiceEvent,
} from './gateway-pubsub.js';
export { ServiceEvents, SUBSCRIBER_BUFFER, type ServiceEventsOptions, type ServiceEventInit } from './service-events.js';
