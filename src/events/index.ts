export {
  createGatewayPubSub,
  type CacheInvalidation,
  type GatewayEventBus,
  type GatewayPubSub,
  type GatewayPubSubOptions,
  type GatewayTopics,
  type ServiceEvent,
} from './gateway-pubsub.js';
