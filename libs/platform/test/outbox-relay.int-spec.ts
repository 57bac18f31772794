import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { deadLetterTopicOf, type EventEnvelope } from '@kami/contracts';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { eventsAppendedIn, OutboxWriter } from '../src/kafka/outbox-writer';
import { OutboxRelay } from '../src/kafka/outbox-relay';
import { createKafka, createProducer } from '../src/kafka/kafka-client';
import { createServiceDataSource } from '../src/database/data-source';
import { createLogger } from '../src/logging/logging';
import {
  createMigratedTestDatabase,
  createTopics,
  eventually,
  readTopic,
  spawnTs,
  testInfrastructure,
  testKafka,
  testNames,
  type SpawnedProcess,
  type MigratedTestDatabase,
} from '@kami/testing';
import { widgetCreatedEvent, type WidgetCreatedPayload } from './fixtures/widget-events';
import { testDataSource } from './fixtures/test-data-source';

const RELAY = 'libs/platform/test/fixtures/relay.ts';
const CONSUMER = 'libs/platform/test/fixtures/consumer.ts';
const N = 5;
const PARTITIONS = 3;

const header = (message: KafkaMessage, name: string): string | undefined => message.headers?.[name]?.toString('utf8');

describe('outbox relay → Kafka → event consumer (separate processes)', () => {
  const names = testNames('outbox_relay');
  const topic = names.topic('widget');
  const groupId = names.group('widget-seen');
  const widgetCreated = widgetCreatedEvent(topic);

  let brokers: string;
  let producer: MigratedTestDatabase | undefined;
  let consumerCheck: MigratedTestDatabase | undefined;
  let producerSide: DataSource | undefined;
  let consumerSide: DataSource | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;
  const children: SpawnedProcess[] = [];

  const spawn = (entry: string, env: Record<string, string>): SpawnedProcess => {
    const child = spawnTs(entry, { KAFKA_BROKERS: brokers, ...env });
    children.push(child);
    return child;
  };

  const outboxState = async (): Promise<{ pending: number; published: number }> => {
    const [row] = await producerSide!.query(
      `SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending,
              count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published
         FROM platform_outbox`,
    );
    return row;
  };

  beforeAll(async () => {
    brokers = (await testInfrastructure()).kafkaBrokers;
    [producer, consumerCheck] = await Promise.all([
      createMigratedTestDatabase('outbox_relay_producer', testDataSource),
      createMigratedTestDatabase('outbox_relay_consumer', testDataSource),
    ]);
    producerSide = producer.dataSource;
    consumerSide = consumerCheck.dataSource;
    await producerSide.query(`CREATE TABLE widget (id text PRIMARY KEY, name text NOT NULL, price_minor bigint NOT NULL)`);
    await consumerSide.query(`CREATE TABLE widget_seen (event_id uuid NOT NULL, widget_id text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now())`);
    kafka = await testKafka('outbox-relay-spec');
    await createTopics(kafka, [topic, deadLetterTopicOf(topic)], PARTITIONS);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
    await admin?.disconnect();
    await Promise.allSettled([producer?.dispose(), consumerCheck?.dispose()]);
  });

  it('delivers an event committed through the outbox exactly once, even when the relay dies after publishing and before marking it sent', async () => {
    // The consumer runs in its own process, from the beginning of the topic, the whole time.
    const consumer = spawn(CONSUMER, { DATABASE_URL: consumerCheck!.database.url, TOPIC: topic, GROUP_ID: groupId });
    await consumer.waitForOutput(/consumer started/);

    // N business changes, each committed with its event in one transaction.
    const writer = new OutboxWriter();
    const written: EventEnvelope<WidgetCreatedPayload>[] = [];
    for (let i = 0; i < N; i += 1) {
      const widgetId = `widget-${i}`;
      const envelope = await producerSide!.transaction(async (manager) => {
        await manager.query(`INSERT INTO widget (id, name, price_minor) VALUES ($1, $2, $3)`, [widgetId, `Widget ${i}`, 100 * i]);
        return writer.append(manager, widgetCreated, {
          aggregateId: widgetId,
          payload: { widgetId, name: `Widget ${i}`, priceMinor: 100 * i },
          traceId: `trace-${i}`,
        });
      });
      written.push(envelope);
    }
    const eventIds = written.map((e) => e.id).sort();
    expect(await producerSide!.query(`SELECT count(*)::int AS n FROM widget`)).toEqual([{ n: N }]);
    expect(await outboxState()).toEqual({ pending: N, published: 0 });

    // 1. A relay publishes the batch, Kafka acknowledges it, and the process is killed before the UPDATE commits.
    const crashing = spawn(RELAY, { DATABASE_URL: producer!.database.url, RELAY_CRASH_AFTER_PUBLISH: '1', RELAY_SERVICE: 'relay-crash' });
    const crashed = await crashing.exited;
    expect(crashed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(crashing.output()).toContain(`published ${N} event(s)`);
    // PostgreSQL notices the dead connection and rolls its transaction back (releasing the row locks).
    await eventually(
      async () =>
        (
          await producerSide!.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'kami-relay-crash'`, [
            producer!.database.name,
          ])
        )[0].n as number,
      (n) => n === 0,
      { what: 'the killed relay’s database session to end' },
    );
    expect(await outboxState()).toEqual({ pending: N, published: 0 });
    const afterCrash = await readTopic(kafka, topic);
    expect(afterCrash.map((m) => header(m, 'event-id')).sort()).toEqual(eventIds);

    // 2. The relay restarts, publishes the same events again and marks them sent.
    const relay = spawn(RELAY, { DATABASE_URL: producer!.database.url, RELAY_SERVICE: 'relay' });
    await eventually(outboxState, (s) => s.pending === 0, { what: 'the restarted relay to mark the outbox published' });
    expect(await outboxState()).toEqual({ pending: 0, published: N });
    await relay.stop();
    expect(await relay.exited).toEqual({ code: 0, signal: null });

    const onTopic = await readTopic(kafka, topic);
    expect(onTopic).toHaveLength(2 * N);
    const copies = new Map<string, number>();
    for (const message of onTopic) {
      const id = header(message, 'event-id')!;
      copies.set(id, (copies.get(id) ?? 0) + 1);
      const envelope = JSON.parse(message.value!.toString('utf8')) as EventEnvelope<WidgetCreatedPayload>;
      expect(envelope.id).toBe(id);
      // Keyed by the aggregate, so one widget's events stay in one partition.
      expect(message.key?.toString('utf8')).toBe(envelope.aggregateId);
    }
    expect([...copies.keys()].sort()).toEqual(eventIds);
    expect([...copies.values()]).toEqual(Array(N).fill(2));

    // 3. The consumer has read every message on the topic (duplicates included) and committed past them...
    const highWatermarks = new Map((await admin!.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    expect([...highWatermarks.values()].reduce((sum, high) => sum + Number(high), 0)).toBe(2 * N);
    await eventually(
      async () => {
        const [committed] = await admin!.fetchOffsets({ groupId, topics: [topic] });
        return committed.partitions.map((p) => ({ partition: p.partition, committed: p.offset, high: highWatermarks.get(p.partition) }));
      },
      (partitions) => partitions.length === PARTITIONS && partitions.every((p) => p.committed === p.high),
      { timeoutMs: 45_000, what: 'the consumer group to commit up to the high watermark' },
    );

    // ...and applied each event exactly once.
    const seen: { event_id: string; widget_id: string }[] = await consumerSide!.query(
      `SELECT event_id, widget_id FROM widget_seen ORDER BY widget_id`,
    );
    expect(seen).toEqual(
      [...written].sort((a, b) => a.aggregateId.localeCompare(b.aggregateId)).map((e) => ({ event_id: e.id, widget_id: e.payload.widgetId })),
    );
    const inbox: { event_id: string; consumer: string; event_type: string }[] = await consumerSide!.query(
      `SELECT event_id, consumer, event_type FROM platform_inbox ORDER BY event_id`,
    );
    expect(inbox).toEqual(eventIds.map((id) => ({ event_id: id, consumer: groupId, event_type: widgetCreated.type })));
    // Nothing was dead-lettered along the way.
    const [dlt] = await admin!.fetchTopicOffsets(deadLetterTopicOf(topic));
    expect(dlt.high).toBe('0');

    await consumer.stop();
    expect(await consumer.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('publishes at once an event whose nudge came while a pass was running, instead of leaving it for the next poll', async () => {
    await producerSide!.query(`UPDATE platform_outbox SET published_at = coalesce(published_at, now())`);
    const writer = new OutboxWriter();
    const append = (widgetId: string) =>
      producerSide!.transaction((manager) => writer.append(manager, widgetCreated, { aggregateId: widgetId, payload: { widgetId, name: widgetId, priceMinor: 1 } }));
    const logger = createLogger('relay-nudge', 'warn');
    const kafkaProducer = createProducer(createKafka('relay-nudge', brokers, logger));
    await kafkaProducer.connect();
    let second: EventEnvelope<WidgetCreatedPayload> | undefined;
    // It polls once an hour: only a nudge can make it publish within this test.
    const relay: OutboxRelay = new OutboxRelay(producerSide!, kafkaProducer, {
      pollIntervalMs: 3_600_000,
      logger,
      afterPublish: async () => {
        // Mid-pass (published, not yet marked): a service commits another event and nudges, as a handler does.
        if (second) return;
        second = await append('widget-during-pass');
        relay.nudge();
      },
    });
    try {
      const first = await append('widget-before-pass');
      relay.start();
      relay.nudge();
      const published = async (id: string) => (await producerSide!.query(`SELECT published_at IS NOT NULL AS done FROM platform_outbox WHERE event_id = $1`, [id]))[0]?.done === true;
      await eventually(() => published(first.id), (done) => done, { what: 'the first event published' });
      await eventually(() => published(second!.id), (done) => done, { what: 'the event nudged during the pass published without waiting for the hourly poll' });
    } finally {
      await relay.stop();
      await kafkaProducer.disconnect();
    }
  });

  it('polls an empty outbox with one read, no transaction, and still publishes at the next poll what another process committed', async () => {
    await producerSide!.query(`UPDATE platform_outbox SET published_at = coalesce(published_at, now())`);
    const logger = createLogger('relay-idle', 'warn');
    const kafkaProducer = createProducer(createKafka('relay-idle', brokers, logger));
    await kafkaProducer.connect();
    const transactions = jest.spyOn(producerSide!, 'transaction');
    const relay = new OutboxRelay(producerSide!, kafkaProducer, { pollIntervalMs: 20, logger });
    try {
      relay.start();
      // Its first pass drains (a started relay does not know the outbox is empty); the polls after it only look.
      await eventually(() => Promise.resolve(transactions.mock.calls.length), (n) => n >= 1, { what: 'the first pass' });
      transactions.mockClear();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(transactions).not.toHaveBeenCalled();
      // Another process's commit, with no nudge here: the next poll finds it.
      const other = createServiceDataSource({ url: producer!.database.url, service: 'relay-idle-other', poolSize: 1 });
      await other.initialize();
      const { id } = await other
        .transaction((manager) => new OutboxWriter().append(manager, widgetCreated, { aggregateId: 'widget-other', payload: { widgetId: 'widget-other', name: 'other', priceMinor: 1 } }))
        .finally(() => other.destroy());
      await eventually(
        async () => (await producerSide!.query(`SELECT published_at IS NOT NULL AS done FROM platform_outbox WHERE event_id = $1`, [id]))[0]?.done === true,
        (done) => done,
        { what: 'the other process’s event published by a poll' },
      );
      expect(transactions).toHaveBeenCalled();
    } finally {
      transactions.mockRestore();
      await relay.stop();
      await kafkaProducer.disconnect();
    }
  });

  it('publishes the events of a transaction as soon as it commits, with no pass over the outbox, and leaves them to a pass when Kafka refuses them', async () => {
    await producerSide!.query(`UPDATE platform_outbox SET published_at = coalesce(published_at, now())`);
    const writer = new OutboxWriter();
    /** Commits one widget's event and returns what the transaction appended, as a consumer or a service hands it to its relay. */
    const commit = async (widgetId: string) => {
      let appended: ReturnType<typeof eventsAppendedIn> = [];
      const envelope = await producerSide!.transaction(async (manager) => {
        const written = await writer.append(manager, widgetCreated, { aggregateId: widgetId, payload: { widgetId, name: widgetId, priceMinor: 1 } });
        appended = eventsAppendedIn(manager);
        return written;
      });
      return { envelope, appended };
    };
    const published = async (id: string) => (await producerSide!.query(`SELECT published_at IS NOT NULL AS done FROM platform_outbox WHERE event_id = $1`, [id]))[0]?.done === true;
    const onTopic = async (id: string) => (await readTopic(kafka, topic)).filter((m) => header(m, 'event-id') === id).length;

    const logger = createLogger('relay-at-once', 'silent');
    const kafkaProducer = createProducer(createKafka('relay-at-once', brokers, logger));
    await kafkaProducer.connect();
    const transactions = jest.spyOn(producerSide!, 'transaction');
    // It polls once an hour: only publishing at once can make an event go within this test.
    const relay = new OutboxRelay(producerSide!, kafkaProducer, { pollIntervalMs: 3_600_000, logger });
    // Not connected yet: Kafka refuses what this one sends until it is.
    const refusedProducer = createProducer(createKafka('relay-refused', brokers, logger));
    const warnings: string[] = [];
    const refused = new OutboxRelay(producerSide!, refusedProducer, { pollIntervalMs: 20, logger: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }) });
    try {
      relay.start();
      // Its first pass (a started relay does not know the outbox is empty).
      await eventually(() => Promise.resolve(transactions.mock.calls.length), (n) => n >= 1, { what: 'the first pass' });
      transactions.mockClear();

      const quick = await commit('widget-at-once');
      expect(quick.appended.map((e) => e.event_id)).toEqual([quick.envelope.id]);
      transactions.mockClear();
      relay.publishCommitted(quick.appended);
      await eventually(() => published(quick.envelope.id), (done) => done, { what: 'the committed event published at once' });
      expect(await onTopic(quick.envelope.id)).toBe(1);
      // No transaction over the outbox: the event was sent as committed, then marked.
      expect(transactions).not.toHaveBeenCalled();
      await relay.stop();

      // Kafka refuses: the event stays pending, and the relay's passes publish it once Kafka takes it.
      refused.start();
      const slow = await commit('widget-refused');
      refused.publishCommitted(slow.appended);
      await eventually(() => Promise.resolve(warnings.join('')), (text) => text.includes('publishing committed events failed'), { what: 'Kafka to refuse the committed event' });
      expect(await published(slow.envelope.id)).toBe(false);
      expect(await onTopic(slow.envelope.id)).toBe(0);
      await refusedProducer.connect();
      await eventually(() => published(slow.envelope.id), (done) => done, { timeoutMs: 45_000, what: 'the refused event published by a pass once Kafka took it' });
      expect(await onTopic(slow.envelope.id)).toBeGreaterThanOrEqual(1);
    } finally {
      transactions.mockRestore();
      await relay.stop();
      await refused.stop();
      await Promise.allSettled([kafkaProducer.disconnect(), refusedProducer.disconnect()]);
    }
  }, 90_000);
});
