import { backOff } from 'exponential-backoff';
import type { Consumer, EachMessagePayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { inSpan } from '@kami/tracing';
import { ALL_EVENTS, deadLetterTopicOf, validateEvent, type EventDefinition, type EventEnvelope } from '@kami/contracts';
import { consumedEvents } from '../metrics/metrics';
import type { OutboxRow } from './outbox-relay';
import { eventsAppendedIn } from './outbox-writer';

export interface EventContext {
  /** The transaction the inbox record lives in: write the handler's effect through it. */
  manager: EntityManager;
  topic: string;
  partition: number;
  offset: string;
  logger: PinoLogger;
  /**
   * Runs `action` once the transaction has committed (not when it rolls back): for effects
   * outside PostgreSQL that must follow the truth, never precede it. A failing action is logged;
   * it must be safe to lose (the database is already right).
   */
  afterCommit(action: () => Promise<void>): void;
}

export type EventHandler<P extends object = object> = (envelope: EventEnvelope<P>, context: EventContext) => Promise<void>;

export interface EventSubscription<P extends object = object> {
  events: readonly EventDefinition<P>[];
  handler: EventHandler<P>;
  /**
   * Which of these events concern this consumer, read from the validated payload. The others are
   * ignored without a transaction or an inbox row: having no effect, they need no deduplication.
   */
  when?: (payload: P) => boolean;
}

export interface EventConsumerOptions {
  kafka: Kafka;
  dataSource: DataSource;
  /** Producer used for dead-lettering; shared with the outbox relay. */
  producer: Producer;
  /** Consumer group id, e.g. `settlement.organisation-projection`; also the inbox's consumer name. */
  groupId: string;
  subscriptions: readonly EventSubscription[];
  logger: PinoLogger;
  /** Attempts at a failing handler before the message goes to the dead-letter topic. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt (with jitter) up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  fromBeginning?: boolean;
  /** Put before every topic name on the wire (KAFKA_TOPIC_PREFIX): subscriptions and dead letters use it. */
  topicPrefix?: string;
  /**
   * Called after events' effects committed, with the events the handlers appended through the
   * context's manager (the service's relay publishes them at once) and whether after-commit
   * actions ran (they may have appended in transactions of their own: the relay is nudged).
   */
  onApplied?: (committed: { events: readonly OutboxRow[]; afterCommitRan: boolean }) => void;
  /**
   * Apply the events waiting on a partition (up to MAX_EVENTS_PER_TRANSACTION) in one transaction:
   * one inbox insert and one commit for all, each aggregate's handlers in partition order, the
   * aggregates in id order. If that transaction fails, each event is applied alone (with its
   * retries and dead-lettering), so one bad event never holds the others. Only for handlers that
   * do all their work through the context's manager: one that waits on another transaction could
   * wait on a row this one holds.
   */
  batched?: boolean;
}

/** The most events a batched consumer applies in one transaction. */
export const MAX_EVENTS_PER_TRANSACTION = 100;

export type HandleOutcome = 'applied' | 'duplicate' | 'ignored' | 'dead_lettered';

// Failures of the infrastructure rather than of the event (PostgreSQL down or restarting,
// connection lost, serialisation conflicts): the event is fine, so it must not be dead-lettered.
// The consumer stops on the message instead and kafkajs redelivers it once things recover.
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006', '40001', '40P01']);

/** A message's single-valued headers as text (the trace context among them). */
function textHeaders(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined && !Array.isArray(value)) headers[name] = value.toString();
  return headers;
}

export function isTransientInfrastructureError(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } } | undefined)?.code ??
    (error as { driverError?: { code?: unknown } } | undefined)?.driverError?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return error instanceof Error && /Connection terminated|connection timeout|Connection is not established/i.test(error.message);
}

/**
 * Whether a message is another consumer's business: a published contract event of this topic that
 * this consumer did not subscribe to (a topic carries several event types; each consumer handles
 * the ones it needs). Anything else it did not subscribe to (an unknown type) is a poison message.
 */
export function isUnsubscribedEventOfTopic(raw: unknown, topic: string, subscribed: readonly EventDefinition[]): boolean {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || subscribed.some((d) => d.type === type)) return false;
  return ALL_EVENTS.some((d) => d.type === type && d.topic === topic);
}

/**
 * Consumes events into an idempotent inbox: each event is applied in one transaction together
 * with its (event id, consumer) inbox row, so a redelivered event changes nothing. A contract
 * event of the topic that this consumer did not subscribe to is skipped. A message that fails
 * validation (an unknown type included), or whose handler keeps failing after retries with
 * backoff, goes to the topic's dead-letter twin with the reason, and the consumer moves on.
 */
export class EventConsumer {
  private consumer?: Consumer;
  private readonly topics: Map<string, EventSubscription[]> = new Map();

  constructor(private readonly options: EventConsumerOptions) {
    for (const subscription of options.subscriptions) {
      for (const definition of subscription.events) {
        const list = this.topics.get(definition.topic) ?? [];
        if (!list.includes(subscription)) list.push(subscription);
        this.topics.set(definition.topic, list);
      }
    }
  }

  get subscribedTopics(): string[] {
    return [...this.topics.keys()];
  }

  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      // Fast joins on a single node; a member is evicted after sessionTimeout without heartbeats.
      sessionTimeout: 10_000,
      rebalanceTimeout: 5_000,
      // Every consumer group heartbeats on its own (two dozen across the services): at 500 ms the idle system spent 42% of a core, at 3 s 36%.
      heartbeatInterval: 3_000,
      // A fetch returns as soon as a message arrives; the wait only bounds idle polling (a tenth of a core across services at 100 ms).
      maxWaitTimeInMs: 1_000,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    const prefix = this.options.topicPrefix ?? '';
    await consumer.subscribe({ topics: this.subscribedTopics.map((t) => `${prefix}${t}`), fromBeginning: this.options.fromBeginning ?? true });
    // Partitions in parallel: order holds per partition (per aggregate key), and every handler is its own transaction.
    // Offsets are committed once a second, not after every batch (a round trip per hop): what a crash redelivers, the inbox skips.
    if (this.options.batched) {
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 1_000,
        partitionsConsumedConcurrently: 3,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isRunning, isStale }) => {
          for (let i = 0; i < batch.messages.length && isRunning() && !isStale(); i += MAX_EVENTS_PER_TRANSACTION) {
            const messages = batch.messages.slice(i, i + MAX_EVENTS_PER_TRANSACTION);
            await this.onMessages(batch.topic, batch.partition, messages, heartbeat, pause);
            resolveOffset(messages.at(-1)!.offset);
            await heartbeat();
          }
        },
      });
      return;
    }
    await consumer.run({ autoCommit: true, autoCommitInterval: 1_000, partitionsConsumedConcurrently: 3, eachMessage: (payload) => this.onMessage(payload).then(() => undefined) });
  }

  /**
   * Applies messages of one partition together (batched consumers): the ones that validate in one
   * transaction, the others dead-lettered or ignored as alone. If the shared transaction fails,
   * each message is handled alone instead.
   */
  async onMessages(wireTopic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, pause: () => () => void): Promise<void> {
    const alone = (message: KafkaMessage): Promise<HandleOutcome> => this.onMessage({ topic: wireTopic, partition, message, heartbeat, pause });
    if (messages.length === 1) {
      await alone(messages[0]!);
      return;
    }
    const topic = this.contractTopic(wireTopic);
    const logger = this.options.logger.child({ consumer: this.options.groupId, topic, partition });
    const together: { message: KafkaMessage; envelope: EventEnvelope<object>; subscription: EventSubscription }[] = [];
    for (const message of messages) {
      const decoded = await this.decode(topic, message);
      if (decoded.kind === 'refused') await this.deadLetter(topic, partition, message, decoded.reason, logger.child({ offset: message.offset }));
      else if (decoded.kind === 'event') together.push({ message, envelope: decoded.envelope, subscription: decoded.subscription });
    }
    if (together.length === 0) return;
    try {
      await this.applyTogether(topic, partition, together, logger);
    } catch (error) {
      logger.warn({ err: error, events: together.length }, 'applying events together failed; applying each alone');
      for (const { message } of together) await alone(message);
    }
  }

  private async applyTogether(
    topic: string,
    partition: number,
    events: { message: KafkaMessage; envelope: EventEnvelope<object>; subscription: EventSubscription }[],
    logger: PinoLogger,
  ): Promise<void> {
    // Aggregates in id order, each one's events still in partition order (the sort is stable): two
    // batches that share aggregates (one order's events on two topics) lock them in the same
    // order, so they cannot deadlock on them (a deadlock costs a second before PostgreSQL sees it).
    const ordered = [...events].sort((a, b) => (a.envelope.aggregateId < b.envelope.aggregateId ? -1 : a.envelope.aggregateId > b.envelope.aggregateId ? 1 : 0));
    const committed: (() => Promise<void>)[] = [];
    let appended: OutboxRow[] = [];
    const outcomes = await this.options.dataSource.transaction(async (manager): Promise<HandleOutcome[]> => {
      const inserted: { event_id: string }[] = await manager.query(
        `INSERT INTO platform_inbox (event_id, consumer, event_type) SELECT id, $2, type FROM unnest($1::uuid[], $3::text[]) AS e(id, type)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [ordered.map((e) => e.envelope.id), this.options.groupId, ordered.map((e) => e.envelope.type)],
      );
      const fresh = new Set(inserted.map((row) => row.event_id));
      const outcomes: HandleOutcome[] = [];
      for (const { message, envelope, subscription } of ordered) {
        // A second copy of an event in the same batch is a duplicate too.
        if (!fresh.delete(envelope.id)) {
          outcomes.push('duplicate');
          continue;
        }
        const headers = textHeaders(message);
        const eventLogger = logger.child({ offset: message.offset, eventId: envelope.id, eventType: envelope.type, aggregateId: envelope.aggregateId, traceId: envelope.traceId });
        await inSpan(
          `${topic} process`,
          'consumer',
          headers,
          { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': this.options.groupId, 'messaging.message.id': envelope.id, 'messaging.batch.message_count': events.length },
          () => subscription.handler(envelope, { topic, partition, offset: message.offset, logger: eventLogger, manager, afterCommit: (action) => committed.push(action) }),
        );
        outcomes.push('applied');
      }
      appended = eventsAppendedIn(manager);
      return outcomes;
    });
    // The committed events are handed over at once, before the after-commit actions: while they
    // run, a relay pass would otherwise find these rows pending and publish them a second time.
    if (outcomes.includes('applied')) this.options.onApplied?.({ events: appended, afterCommitRan: false });
    for (const action of committed) {
      await action().catch((error: unknown) => logger.warn({ err: error }, 'an after-commit action failed'));
    }
    if (committed.length > 0) this.options.onApplied?.({ events: [], afterCommitRan: true });
    for (const outcome of outcomes) consumedEvents.inc({ consumer: this.options.groupId, topic, outcome });
  }

  /** Stops fetching, lets the message in hand finish, commits and leaves the group. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }

  /** Handles one raw message, in a consumer span that continues the trace its headers carry; exposed for tests of the decision logic. */
  async onMessage(payload: EachMessagePayload): Promise<HandleOutcome> {
    const topic = this.contractTopic(payload.topic);
    const headers = textHeaders(payload.message);
    return inSpan(
      `${topic} process`,
      'consumer',
      headers,
      { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.consumer.group.name': this.options.groupId, 'messaging.message.id': headers['event-id'] ?? '' },
      () => this.handle(topic, payload),
    );
  }

  private async handle(topic: string, { partition, message, heartbeat }: EachMessagePayload): Promise<HandleOutcome> {
    const logger = this.options.logger.child({ consumer: this.options.groupId, topic, partition, offset: message.offset });
    const decoded = await this.decode(topic, message);
    if (decoded.kind === 'refused') return this.deadLetter(topic, partition, message, decoded.reason, logger);
    if (decoded.kind === 'ignored') return 'ignored';
    const { envelope, subscription } = decoded;
    const eventLogger = logger.child({ eventId: envelope.id, eventType: envelope.type, aggregateId: envelope.aggregateId, traceId: envelope.traceId });

    let attempt = 0;
    try {
      return await backOff(
        async () => {
          attempt += 1;
          return this.applyOnce(envelope, subscription, { topic, partition, offset: message.offset, logger: eventLogger });
        },
        {
          numOfAttempts: this.options.maxAttempts,
          startingDelay: this.options.retryDelayMs ?? 200,
          maxDelay: this.options.maxRetryDelayMs ?? 5_000,
          timeMultiple: 2,
          jitter: 'full',
          retry: async (error: unknown) => {
            if (attempt >= this.options.maxAttempts) return false;
            consumedEvents.inc({ consumer: this.options.groupId, topic, outcome: 'retried' });
            eventLogger.warn({ err: error, attempt }, 'event handler failed; retrying');
            await heartbeat();
            return true;
          },
        },
      );
    } catch (error) {
      if (isTransientInfrastructureError(error)) {
        eventLogger.error({ err: error, attempt }, 'infrastructure failure; the event will be redelivered, not dead-lettered');
        throw error;
      }
      const reason = `handler failed after ${attempt} attempt(s): ${error instanceof Error ? error.message : String(error)}`;
      return this.deadLetter(topic, partition, message, reason.slice(0, 1000), eventLogger);
    }
  }

  /** The contract's topic name: the prefix only exists on the wire. */
  private contractTopic(wireTopic: string): string {
    const prefix = this.options.topicPrefix ?? '';
    return prefix && wireTopic.startsWith(prefix) ? wireTopic.slice(prefix.length) : wireTopic;
  }

  /**
   * What a message is to this consumer: an event of its subscriptions (with the one that handles
   * it), another event of the topic it does not follow (counted as ignored), or something to
   * dead-letter, and why.
   */
  private async decode(
    topic: string,
    message: KafkaMessage,
  ): Promise<{ kind: 'ignored' } | { kind: 'refused'; reason: string } | { kind: 'event'; envelope: EventEnvelope<object>; subscription: EventSubscription }> {
    const subscriptions = this.topics.get(topic) ?? [];
    const definitions = subscriptions.flatMap((s) => s.events);
    let raw: unknown;
    try {
      raw = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch {
      return { kind: 'refused', reason: 'value is not JSON' };
    }
    if (isUnsubscribedEventOfTopic(raw, topic, definitions)) {
      consumedEvents.inc({ consumer: this.options.groupId, topic, outcome: 'ignored' });
      return { kind: 'ignored' };
    }
    const validated = await validateEvent(raw, definitions);
    if (!validated.ok) return { kind: 'refused', reason: validated.reason };
    const envelope = validated.envelope;
    // validateEvent only accepts types of this topic's subscriptions, so one always matches.
    const subscription = subscriptions.find((s) => s.events.some((d) => d.type === envelope.type))!;
    if (subscription.when && !subscription.when(envelope.payload)) {
      consumedEvents.inc({ consumer: this.options.groupId, topic, outcome: 'ignored' });
      return { kind: 'ignored' };
    }
    return { kind: 'event', envelope, subscription };
  }

  private async applyOnce(
    envelope: EventEnvelope<object>,
    subscription: EventSubscription,
    where: Omit<EventContext, 'manager' | 'afterCommit'>,
  ): Promise<HandleOutcome> {
    const committed: (() => Promise<void>)[] = [];
    let appended: OutboxRow[] = [];
    const outcome = await this.options.dataSource.transaction(async (manager): Promise<HandleOutcome> => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO platform_inbox (event_id, consumer, event_type) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [envelope.id, this.options.groupId, envelope.type],
      );
      if (inserted.length === 0) return 'duplicate';
      await subscription.handler(envelope, { ...where, manager, afterCommit: (action) => committed.push(action) });
      appended = eventsAppendedIn(manager);
      return 'applied';
    });
    // Handed over before the after-commit actions run (see applyTogether).
    if (outcome === 'applied') this.options.onApplied?.({ events: appended, afterCommitRan: false });
    for (const action of committed) {
      await action().catch((error: unknown) => where.logger.warn({ err: error }, 'an after-commit action failed'));
    }
    if (committed.length > 0) this.options.onApplied?.({ events: [], afterCommitRan: true });
    consumedEvents.inc({ consumer: this.options.groupId, topic: where.topic, outcome });
    if (outcome === 'duplicate') where.logger.info('event already handled; ignored');
    return outcome;
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
    logger: PinoLogger,
  ): Promise<HandleOutcome> {
    // The original bytes are forwarded as they are; events never carry plaintext codes.
    await this.options.producer.send({
      topic: `${this.options.topicPrefix ?? ''}${deadLetterTopicOf(topic)}`,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlt-reason': reason,
            'dlt-consumer': this.options.groupId,
            'dlt-source-topic': topic,
            'dlt-source-partition': String(partition),
            'dlt-source-offset': message.offset,
            'dlt-at': new Date().toISOString(),
          },
        },
      ],
    });
    consumedEvents.inc({ consumer: this.options.groupId, topic, outcome: 'dead_lettered' });
    logger.warn({ reason }, 'message sent to the dead-letter topic');
    return 'dead_lettered';
  }
}
