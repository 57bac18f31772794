import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process. Labels never carry codes, keys or other secrets:
 * only service, topic, route templates and outcomes.
 */
export const metricsRegistry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): Registry {
  metricsRegistry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: metricsRegistry });
    defaultsCollected = true;
  }
  return metricsRegistry;
}

export const httpRequestDuration = new Histogram({
  name: 'kami_http_request_duration_seconds',
  help: 'HTTP requests by route template, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const outboxPublished = new Counter({
  name: 'kami_outbox_published_total',
  help: 'Events the outbox relay published to Kafka',
  labelNames: ['topic'] as const,
  registers: [metricsRegistry],
});

export const consumedEvents = new Counter({
  name: 'kami_consumer_events_total',
  help: 'Events handled by consumers, by outcome (applied, duplicate, dead_lettered, retried)',
  labelNames: ['consumer', 'topic', 'outcome'] as const,
  registers: [metricsRegistry],
});
