import type { Admin, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { deadLetterTopicOf } from '@kami/contracts';
import {
  createMigratedTestDatabase,
  createTopics,
  readTopic,
  testInfrastructure,
  testKafka,
  testNames,
  type MigratedTestDatabase,
} from '@kami/testing';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { createKafka, createProducer } from '../src/kafka/kafka-client';
import { OutboxRelay } from '../src/kafka/outbox-relay';
import { InvalidEventPayloadError, OutboxWriter } from '../src/kafka/outbox-writer';
import { widgetCreatedEvent } from './fixtures/widget-events';
import { testDataSource } from './fixtures/test-data-source';

describe('outbox writer and relay: only committed events are published', () => {
  const names = testNames('outbox_rollback');
  const topic = names.topic('widget');
  const widgetCreated = widgetCreatedEvent(topic);
  const logger = pino({ level: 'error' });
  const writer = new OutboxWriter();

  let db: MigratedTestDatabase | undefined;
  let dataSource: DataSource | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let relay: OutboxRelay;

  const outboxCount = async (): Promise<number> =>
    (await dataSource!.query(`SELECT count(*)::int AS n FROM platform_outbox`))[0].n as number;
  const widgetCount = async (): Promise<number> => (await dataSource!.query(`SELECT count(*)::int AS n FROM widget`))[0].n as number;
  const highWatermark = async (): Promise<number> =>
    (await admin!.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);

  beforeAll(async () => {
    db = await createMigratedTestDatabase('outbox_rollback', testDataSource);
    dataSource = db.dataSource;
    await dataSource.query(`CREATE TABLE widget (id text PRIMARY KEY, name text NOT NULL)`);
    kafka = await testKafka('outbox-rollback-spec');
    await createTopics(kafka, [topic, deadLetterTopicOf(topic)]);
    admin = kafka.admin();
    await admin.connect();
    producer = createProducer(createKafka('test-outbox-rollback', (await testInfrastructure()).kafkaBrokers, logger));
    await producer.connect();
    relay = new OutboxRelay(dataSource, producer, { pollIntervalMs: 50, logger });
  });

  afterAll(async () => {
    await relay?.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await db?.dispose();
  });

  it('publishes nothing for a rolled-back transaction, and the event of a committed one', async () => {
    const rolledBack = dataSource!.transaction(async (manager) => {
      await manager.query(`INSERT INTO widget (id, name) VALUES ('w-rolled-back', 'Rolled back')`);
      await writer.append(manager, widgetCreated, {
        aggregateId: 'w-rolled-back',
        payload: { widgetId: 'w-rolled-back', name: 'Rolled back', priceMinor: 1 },
      });
      throw new Error('business rule failed after the event was appended');
    });
    await expect(rolledBack).rejects.toThrow('business rule failed');

    expect(await relay.drainOnce()).toBe(0);
    expect(await outboxCount()).toBe(0);
    expect(await widgetCount()).toBe(0);
    expect(await highWatermark()).toBe(0);

    const committed = await dataSource!.transaction(async (manager) => {
      await manager.query(`INSERT INTO widget (id, name) VALUES ('w-committed', 'Committed')`);
      return writer.append(manager, widgetCreated, {
        aggregateId: 'w-committed',
        payload: { widgetId: 'w-committed', name: 'Committed', priceMinor: 2 },
      });
    });

    expect(await relay.drainOnce()).toBe(1);
    expect(await relay.drainOnce()).toBe(0);
    expect(await highWatermark()).toBe(1);
    const [message] = await readTopic(kafka, topic);
    expect(message.headers?.['event-id']?.toString()).toBe(committed.id);
    expect(JSON.parse(message.value!.toString('utf8'))).toMatchObject({
      id: committed.id,
      type: widgetCreated.type,
      aggregateId: 'w-committed',
      payload: { widgetId: 'w-committed', name: 'Committed', priceMinor: 2 },
    });
    expect(await dataSource!.query(`SELECT event_id, published_at IS NOT NULL AS published FROM platform_outbox`)).toEqual([
      { event_id: committed.id, published: true },
    ]);
  });

  it('refuses to append outside a transaction', async () => {
    const before = await outboxCount();
    await expect(
      writer.append(dataSource!.manager, widgetCreated, {
        aggregateId: 'w-no-tx',
        payload: { widgetId: 'w-no-tx', name: 'No transaction', priceMinor: 3 },
      }),
    ).rejects.toThrow(/must run inside a transaction/);
    expect(await outboxCount()).toBe(before);
  });

  it('refuses an invalid payload at write time, naming the field, and writes nothing', async () => {
    const before = await outboxCount();
    // The caller catches the refusal and commits: the outbox must still hold no row for it.
    const refusals = await dataSource!.transaction(async (manager) => {
      const errors: unknown[] = [];
      for (const payload of [
        { widgetId: 'w-bad', name: 'Bad price', priceMinor: -5 },
        { widgetId: 'w-bad', priceMinor: 5 },
        { widgetId: 'w-bad', name: 'Extra field', priceMinor: 5, plaintext: 'SECRET-CODE-123' },
      ]) {
        await writer
          .append(manager, widgetCreated, { aggregateId: 'w-bad', payload: payload as never })
          .then(() => errors.push(undefined), (error: unknown) => errors.push(error));
      }
      return errors;
    });
    expect(refusals[0]).toBeInstanceOf(InvalidEventPayloadError);
    expect(String((refusals[0] as Error).message)).toMatch(/priceMinor/);
    expect(refusals[1]).toBeInstanceOf(InvalidEventPayloadError);
    expect(String((refusals[1] as Error).message)).toMatch(/\bname\b/);
    expect(refusals[2]).toBeInstanceOf(InvalidEventPayloadError);
    expect(String((refusals[2] as Error).message)).toMatch(/plaintext/);
    expect(String((refusals[2] as Error).message)).not.toContain('SECRET-CODE-123');
    expect(await outboxCount()).toBe(before);
    expect(await relay.drainOnce()).toBe(0);
  });
});
