import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { Pool } from 'pg';
import { createTestDatabase, createTopics, testKafka } from '@kami/testing';

/**
 * `chain-5hop`, the floor of a five-step saga on this machine: a message passed through five
 * Kafka consumers in a chain on the same broker, each committing one PostgreSQL row before it
 * produces the next message. Consumers and producers are set up as the services' are (consumer
 * settings of the platform's EventConsumer, one in-flight request per producer, three partitions
 * per topic), each hop its own consumer group and producer, as each saga step is its own service.
 * `run()` resolves when the fifth hop has committed its row.
 */
export interface Chain {
  run(): Promise<void>;
  stop(): Promise<void>;
}

const HOPS = 5;

export async function startChain(label: string): Promise<Chain> {
  const kafka = await testKafka(`chain-${label}`);
  const topics = Array.from({ length: HOPS }, (_, hop) => `chain_${label}_${randomUUID().slice(0, 8)}.hop${hop}`);
  await createTopics(kafka, topics, 3);
  const database = await createTestDatabase(`chain_${label}`);
  const pool = new Pool({ connectionString: database.url, max: 16 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE TABLE chain_step (message_id uuid NOT NULL, hop int NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (message_id, hop))`);

  const waiting = new Map<string, () => void>();
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  const producerFor = async (): Promise<Producer> => {
    const producer = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    producers.push(producer);
    return producer;
  };
  const entry = await producerFor();
  for (let hop = 0; hop < HOPS; hop += 1) {
    const next = hop + 1 < HOPS ? await producerFor() : undefined;
    const consumer = kafka.consumer({ groupId: `${topics[hop]}.consumer`, sessionTimeout: 10_000, rebalanceTimeout: 5_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 1_000 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topics[hop]!], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1_000,
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => {
        const id = message.value!.toString('utf8');
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(`INSERT INTO chain_step (message_id, hop) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [id, hop]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
        if (next) await next.send({ topic: topics[hop + 1]!, messages: [{ key: id, value: id }] });
        else waiting.get(id)?.();
      },
    });
  }

  const run = (): Promise<void> => {
    const id = randomUUID();
    const done = new Promise<void>((resolve) => waiting.set(id, resolve));
    return entry
      .send({ topic: topics[0]!, messages: [{ key: id, value: id }] })
      .then(() => done)
      .finally(() => waiting.delete(id));
  };
  return {
    run,
    stop: async () => {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await Promise.allSettled(producers.map((p) => p.disconnect()));
      await pool.end();
      await database.drop();
    },
  };
}
