export { createGatewayPubSub, SERVICE_EVENTS_TOPIC, type GatewayPubSub, type GatewayPubSubOptions, type ServiceEvent } from './pubsub.js';
export { ServiceEvents, type ServiceEventsOptions, type ServiceEventInit } from './service-events.js';
