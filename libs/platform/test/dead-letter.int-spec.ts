import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { deadLetterTopicOf } from '@kami/contracts';
import {
  createMigratedTestDatabase,
  createTopics,
  eventually,
  readTopic,
  testInfrastructure,
  testKafka,
  testNames,
  type MigratedTestDatabase,
} from '@kami/testing';
// Imported by path: the package index pulls in NestJS, which jest (CJS, Node 20) cannot load.
import { EventConsumer } from '../src/kafka/event-consumer';
import { OutboxWriter } from '../src/kafka/outbox-writer';
import { createKafka, createProducer } from '../src/kafka/kafka-client';
import { WIDGET_CREATED, widgetCreatedEvent, type WidgetCreatedPayload } from './fixtures/widget-events';
import { testDataSource } from './fixtures/test-data-source';

const text = (message: KafkaMessage, name: string): string | undefined => message.headers?.[name]?.toString('utf8');

function envelope(type: string, widgetId: string, payload: Record<string, unknown>): { id: string; value: string } {
  const id = randomUUID();
  const value = JSON.stringify({ id, type, occurredAt: new Date().toISOString(), aggregateId: widgetId, payload, traceId: `trace-${widgetId}` });
  return { id, value };
}

describe.each([
  { mode: 'one event per transaction', batched: false },
  { mode: 'batched: the events waiting on a partition in one transaction', batched: true },
])('event consumer ($mode): poison messages go to the dead-letter topic and the consumer keeps going', ({ batched }) => {
  const names = testNames(batched ? 'dead_letter_batched' : 'dead_letter');
  const topic = names.topic('widget');
  const dlt = deadLetterTopicOf(topic);
  const groupId = names.group('widget-applier');
  const widgetCreated = widgetCreatedEvent(topic);
  const logger = pino({ level: 'silent' });

  let db: MigratedTestDatabase | undefined;
  let dataSource: DataSource | undefined;
  let kafka: Kafka;
  let rawProducer: Producer | undefined;
  let consumerProducer: Producer | undefined;
  let consumer: EventConsumer | undefined;
  /** Handler invocations per widget id (successful or not). */
  const attempts = new Map<string, number>();
  /** What each commit handed the relay: whether it appended events to publish. */
  const nudges: boolean[] = [];
  const outbox = new OutboxWriter();

  const applied = async (): Promise<{ event_id: string; widget_id: string }[]> =>
    dataSource!.query(`SELECT event_id, widget_id FROM widget_applied ORDER BY widget_id, event_id`);

  beforeAll(async () => {
    db = await createMigratedTestDatabase('dead_letter', testDataSource);
    dataSource = db.dataSource;
    await dataSource.query(`CREATE TABLE widget_applied (event_id uuid NOT NULL, widget_id text NOT NULL)`);

    kafka = await testKafka('dead-letter-spec');
    // One partition: the messages are handled in the order they were produced.
    await createTopics(kafka, [topic, dlt], 1);
    rawProducer = kafka.producer();
    await rawProducer.connect();

    const consumerKafka = createKafka('test-dead-letter', (await testInfrastructure()).kafkaBrokers, logger);
    consumerProducer = createProducer(consumerKafka);
    await consumerProducer.connect();
    consumer = new EventConsumer({
      kafka: consumerKafka,
      dataSource,
      producer: consumerProducer,
      groupId,
      logger,
      maxAttempts: 3,
      batched,
      retryDelayMs: 20,
      maxRetryDelayMs: 100,
      onApplied: ({ events }) => nudges.push(events.length > 0),
      subscriptions: [
        {
          events: [widgetCreated],
          // Widgets of the competition are not this consumer's business.
          when: (payload) => (payload as WidgetCreatedPayload).name !== 'Competitor',
          handler: async (event, context) => {
            const payload = event.payload as WidgetCreatedPayload;
            const attempt = (attempts.get(payload.widgetId) ?? 0) + 1;
            attempts.set(payload.widgetId, attempt);
            // The effect is written before failing: a failed attempt must leave nothing behind.
            await context.manager.query(`INSERT INTO widget_applied (event_id, widget_id) VALUES ($1, $2)`, [event.id, payload.widgetId]);
            if (payload.name === 'Announced') await outbox.append(context.manager, widgetCreated, { aggregateId: payload.widgetId, payload: { ...payload, widgetId: `${payload.widgetId}-echo` } });
            if (payload.name === 'always fails') throw new Error('warehouse system unreachable');
            if (payload.name === 'fails twice' && attempt <= 2) throw new Error(`transient failure ${attempt}`);
          },
        },
      ],
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await consumerProducer?.disconnect();
    await rawProducer?.disconnect();
    await db?.dispose();
  });

  it('dead-letters each bad message with its reason, applies the good ones once, and retries a flaky handler', async () => {
    const first = envelope(WIDGET_CREATED, 'w-1-first', { widgetId: 'w-1-first', name: 'First', priceMinor: 100 });
    const notJson = { id: 'not-json', value: '{"id": "oops", this is not json' };
    const missingField = envelope(WIDGET_CREATED, 'w-3-missing', { widgetId: 'w-3-missing', priceMinor: 100 });
    const unknownType = envelope('test.widget.melted', 'w-4-unknown', { widgetId: 'w-4-unknown', name: 'Unknown', priceMinor: 100 });
    const alwaysFails = envelope(WIDGET_CREATED, 'w-5-always', { widgetId: 'w-5-always', name: 'always fails', priceMinor: 100 });
    const flaky = envelope(WIDGET_CREATED, 'w-6-flaky', { widgetId: 'w-6-flaky', name: 'fails twice', priceMinor: 100 });
    const last = envelope(WIDGET_CREATED, 'w-7-last', { widgetId: 'w-7-last', name: 'Last', priceMinor: 100 });
    const produced = [first, notJson, missingField, unknownType, alwaysFails, flaky, last];
    await rawProducer!.send({
      topic,
      messages: produced.map((m, i) => ({ key: `key-${i}`, value: m.value, headers: { 'produced-as': m.id } })),
    });

    // The last event comes after every poison message on the single partition: once it is
    // applied, the consumer has got past all of them.
    await eventually(applied, (rows) => rows.some((r) => r.widget_id === 'w-7-last'), {
      what: 'the event produced after the poison messages to be applied',
    });

    expect(await applied()).toEqual([
      { event_id: first.id, widget_id: 'w-1-first' },
      { event_id: flaky.id, widget_id: 'w-6-flaky' },
      { event_id: last.id, widget_id: 'w-7-last' },
    ]);
    if (batched) {
      // Fetched together, the failing handler rolls back the shared transaction (the first event's
      // effect with it), then each is applied alone with its own retries: one attempt more for the
      // events before it, where Kafka handed them over in the same batch.
      expect(attempts.get('w-1-first')).toBeGreaterThanOrEqual(1);
      expect(attempts.get('w-1-first')).toBeLessThanOrEqual(2);
      expect([3, 4]).toContain(attempts.get('w-5-always'));
      expect([attempts.get('w-6-flaky'), attempts.get('w-7-last')]).toEqual([3, 1]);
    } else {
      expect(Object.fromEntries(attempts)).toEqual({ 'w-1-first': 1, 'w-5-always': 3, 'w-6-flaky': 3, 'w-7-last': 1 });
    }
    const inbox: { event_id: string }[] = await dataSource!.query(`SELECT event_id FROM platform_inbox WHERE consumer = $1 ORDER BY event_id`, [groupId]);
    expect(inbox.map((r) => r.event_id)).toEqual([first.id, flaky.id, last.id].sort());

    const deadLetters = await readTopic(kafka, dlt);
    expect(deadLetters.map((m) => text(m, 'produced-as'))).toEqual([notJson.id, missingField.id, unknownType.id, alwaysFails.id]);
    const reasons = Object.fromEntries(deadLetters.map((m) => [text(m, 'produced-as'), text(m, 'dlt-reason')]));
    expect(reasons[notJson.id]).toMatch(/not JSON/);
    expect(reasons[missingField.id]).toMatch(/payload/);
    expect(reasons[missingField.id]).toMatch(/\bname\b/);
    expect(reasons[unknownType.id]).toMatch(/unexpected event type "test\.widget\.melted"/);
    expect(reasons[alwaysFails.id]).toMatch(/handler failed after 3 attempt/);
    expect(reasons[alwaysFails.id]).toMatch(/warehouse system unreachable/);
    for (const [i, message] of deadLetters.entries()) {
      const original = [notJson, missingField, unknownType, alwaysFails][i];
      // The original bytes and key are kept, with where they came from.
      expect(message.value?.toString('utf8')).toBe(original.value);
      expect(message.key?.toString('utf8')).toBe(`key-${produced.indexOf(original)}`);
      expect(text(message, 'dlt-source-topic')).toBe(topic);
      expect(text(message, 'dlt-source-offset')).toBe(String(produced.indexOf(original)));
      expect(text(message, 'dlt-consumer')).toBe(groupId);
    }
  });

  it('applies events that arrive together once each, in far fewer transactions when batched', async () => {
    const events = Array.from({ length: 30 }, (_, i) => envelope(WIDGET_CREATED, `w-bulk-${String(i).padStart(2, '0')}`, { widgetId: `w-bulk-${String(i).padStart(2, '0')}`, name: 'Bulk', priceMinor: 100 }));
    await rawProducer!.send({ topic, messages: [...events, events[3]!].map((m) => ({ key: 'bulk', value: m.value })) });
    await eventually(applied, (rows) => rows.filter((r) => r.widget_id.startsWith('w-bulk-')).length >= events.length, { what: 'the bulk events applied' });
    const rows = (await applied()).filter((r) => r.widget_id.startsWith('w-bulk-'));
    // Each once, the one sent twice included.
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    const transactions: { n: string }[] = await dataSource!.query(`SELECT count(DISTINCT xmin::text) AS n FROM platform_inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, [
      groupId,
      events.map((e) => e.id),
    ]);
    if (batched) expect(Number(transactions[0]!.n)).toBeLessThanOrEqual(5);
    else expect(Number(transactions[0]!.n)).toBe(events.length);
  });

  it('skips what its subscription declines without a transaction, and asks the relay for a pass only after an event was appended', async () => {
    const theirs = envelope(WIDGET_CREATED, 'w-when-1-theirs', { widgetId: 'w-when-1-theirs', name: 'Competitor', priceMinor: 100 });
    const quiet = envelope(WIDGET_CREATED, 'w-when-2-quiet', { widgetId: 'w-when-2-quiet', name: 'Quiet', priceMinor: 100 });
    const before = nudges.length;
    await rawProducer!.send({ topic, messages: [theirs, quiet].map((m) => ({ key: 'when', value: m.value })) });
    await eventually(async () => nudges.length, (n) => n > before, { what: 'the quiet widget applied' });
    // One commit (the declined widget is no commit of its own), and it wrote no event: the relay is not asked for a pass.
    expect(nudges.slice(before)).toEqual([false]);

    const announced = envelope(WIDGET_CREATED, 'w-when-3-announced', { widgetId: 'w-when-3-announced', name: 'Announced', priceMinor: 100 });
    await rawProducer!.send({ topic, messages: [{ key: 'when', value: announced.value }] });
    await eventually(async () => nudges.length, (n) => n > before + 1, { what: 'the announced widget applied' });
    expect(nudges.slice(before)).toEqual([false, true]);
    const pending: { n: string }[] = await dataSource!.query(`SELECT count(*) AS n FROM platform_outbox WHERE message_key = 'w-when-3-announced'`);
    expect(Number(pending[0]!.n)).toBe(1);

    // The declined widget left no effect and no inbox row.
    expect((await applied()).some((r) => r.widget_id === 'w-when-1-theirs')).toBe(false);
    const inbox: unknown[] = await dataSource!.query(`SELECT 1 FROM platform_inbox WHERE consumer = $1 AND event_id = $2`, [groupId, theirs.id]);
    expect(inbox).toEqual([]);
  });
});

describe('batched event consumer: the order it applies a batch in', () => {
  const names = testNames('batch_order');
  const topic = names.topic('widget');
  const widgetCreated = widgetCreatedEvent(topic);
  const logger = pino({ level: 'silent' });
  let db: MigratedTestDatabase | undefined;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('batch_order', testDataSource);
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('applies each aggregate’s events in partition order and the aggregates in id order, so two batches sharing aggregates lock them alike', async () => {
    const applied: string[] = [];
    const kafka = createKafka('test-batch-order', (await testInfrastructure()).kafkaBrokers, logger);
    const consumer = new EventConsumer({
      kafka,
      dataSource: db!.dataSource,
      producer: createProducer(kafka),
      groupId: names.group('widget-order'),
      logger,
      maxAttempts: 1,
      batched: true,
      subscriptions: [{ events: [widgetCreated], handler: async (event) => void applied.push((event.payload as WidgetCreatedPayload).name) }],
    });
    // One partition's batch, as Kafka hands it over: widgets b, a, b, c, a.
    const batch = [
      ['w-b', 'b1'],
      ['w-a', 'a1'],
      ['w-b', 'b2'],
      ['w-c', 'c1'],
      ['w-a', 'a2'],
    ].map(([widgetId, name], offset) => {
      const { value } = envelope(WIDGET_CREATED, widgetId!, { widgetId, name, priceMinor: 1 });
      return { key: Buffer.from(widgetId!), value: Buffer.from(value), offset: String(offset), timestamp: String(Date.now()), attributes: 0, headers: {} } as KafkaMessage;
    });
    await consumer.onMessages(topic, 0, batch, async () => undefined, () => () => undefined);
    expect(applied).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);
  });
});
