import type { Kafka, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { createKafka, createProducer, ensureTopics } from './kafka-client';
import { EventConsumer, type EventSubscription } from './event-consumer';
import { OutboxRelay, type OutboxRow } from './outbox-relay';
import { eventsAppendedIn, OutboxWriter } from './outbox-writer';

export interface MessagingOptions {
  service: string;
  brokers: string;
  dataSource: DataSource;
  logger: PinoLogger;
  /** Topics this service publishes; created (with dead-letter twins) at start if missing. */
  producesTopics: readonly string[];
  outboxPollIntervalMs: number;
  consumerMaxAttempts: number;
  /** Put before every consumer group id (tests isolate processes that share a broker). */
  consumerGroupPrefix?: string;
  /** Put before every topic name on the wire (tests give each system its own topics). */
  topicPrefix?: string;
}

/**
 * A service's Kafka side: one producer shared by the outbox relay and dead-lettering, the
 * consumers its features register, and their lifecycle (start after boot, drain on shutdown).
 */
export class Messaging {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly outbox = new OutboxWriter();
  readonly relay: OutboxRelay;
  private readonly consumers: EventConsumer[] = [];
  private started = false;

  constructor(private readonly options: MessagingOptions) {
    this.kafka = createKafka(`kami-${options.service}`, options.brokers, options.logger);
    this.producer = createProducer(this.kafka);
    this.relay = new OutboxRelay(options.dataSource, this.producer, {
      pollIntervalMs: options.outboxPollIntervalMs,
      topicPrefix: options.topicPrefix,
      logger: options.logger.child({ component: 'outbox-relay' }),
    });
  }

  /**
   * Runs `work` in one transaction of the service's database; the events it appended to the
   * outbox are published as soon as it commits, not at the relay's next pass.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    let appended: OutboxRow[] = [];
    const result = await this.options.dataSource.transaction(async (manager) => {
      const value = await work(manager);
      appended = eventsAppendedIn(manager);
      return value;
    });
    this.relay.publishCommitted(appended);
    return result;
  }

  /**
   * Registers a consumer group `<service>.<name>`. Call it while the app initialises
   * (onModuleInit); consumers start once the app has booted. `batched`: the events that wait on a
   * partition are applied together, in one transaction (see EventConsumer) — only for handlers
   * that do all their work through the context's manager.
   */
  registerConsumer(name: string, subscriptions: readonly EventSubscription[], options: { batched?: boolean } = {}): EventConsumer {
    if (this.started) throw new Error('register consumers before the application starts');
    const consumer = new EventConsumer({
      kafka: this.kafka,
      dataSource: this.options.dataSource,
      producer: this.producer,
      groupId: `${this.options.consumerGroupPrefix ?? ''}${this.options.service}.${name}`,
      subscriptions,
      logger: this.options.logger.child({ component: 'consumer', consumer: name }),
      maxAttempts: this.options.consumerMaxAttempts,
      // A saga step's events go out as soon as it commits: each hop would otherwise wait for a poll.
      // A step that wrote no event costs the outbox nothing.
      onApplied: ({ events, afterCommitRan }) => {
        this.relay.publishCommitted(events);
        if (afterCommitRan) this.relay.nudge();
      },
      topicPrefix: this.options.topicPrefix,
      batched: options.batched,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  async start(): Promise<void> {
    this.started = true;
    const consumed = this.consumers.flatMap((c) => c.subscribedTopics);
    const prefix = this.options.topicPrefix ?? '';
    await ensureTopics(this.kafka, [...new Set([...this.options.producesTopics, ...consumed])].map((t) => `${prefix}${t}`));
    await this.producer.connect();
    this.relay.start();
    for (const consumer of this.consumers) await consumer.start();
  }

  /** Graceful order: stop consuming, flush the outbox, then close the producer. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.relay.stop();
    await this.producer.disconnect();
  }

  /** Readiness: the cluster answers a metadata request. */
  async ping(): Promise<{ brokers: number }> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length };
    } finally {
      await admin.disconnect();
    }
  }
}
