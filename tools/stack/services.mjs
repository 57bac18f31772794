// The names shared by the local stack and the scripts around it (start, migrate, tests).
// Kept free of imports so any script can load it cheaply.

/** One PostgreSQL database per service (SPEC: "one server is fine; one database per service"). */
export const SERVICE_DATABASES = Object.freeze([
  'kami_gateway',
  'kami_catalog',
  'kami_vault',
  'kami_ordering',
  'kami_delivery',
  'kami_settlement',
]);

/** The topic `stack up` uses for its produce/consume round trip. */
export const HEALTHCHECK_TOPIC = 'kami.stack.healthcheck';
