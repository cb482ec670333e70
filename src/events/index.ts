export {
  createGatewayPubSub,
  type CacheInvalidation,
  type GatewayEventBus,
  type GatewayPubSub,
  type GatewayPubSubOptions,
  type GatewayTopics,
  type ServiceEvent,
  SUBSCRIBER_BUFFER,
} from './gateway-pubsub.js';
export { ServiceEvents, type ServiceEventsOptions, type ServiceEventInit } from './service-events.js';
