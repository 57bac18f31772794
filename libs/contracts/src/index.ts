export * from './topics/topics';
export * from './envelope/event-envelope';
export * from './events/event-definition';
export * from './events/event-registry';
export * from './events/identity/organisation-registered.event';
export * from './events/catalog/product-changed.event';
export * from './events/catalog/offer-changed.event';
export * from './events/vault/stock-changed.event';
