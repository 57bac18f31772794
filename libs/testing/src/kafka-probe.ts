import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { testInfrastructure } from './infrastructure';

export async function testKafka(clientId = 'kami-test'): Promise<Kafka> {
  const infra = await testInfrastructure();
  return new Kafka({ clientId, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
}

export async function createTopics(kafka: Kafka, topics: string[], partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads every message currently on a topic (from the earliest to the latest offset at call
 * time), without joining a consumer group.
 */
export async function readTopic(kafka: Kafka, topic: string): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const wanted = ends.filter((p) => BigInt(p.high) > BigInt(p.low));
  if (wanted.length === 0) return [];
  const consumer = kafka.consumer({ groupId: `probe-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 100 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    const remaining = new Map(wanted.map((p) => [p.partition, BigInt(p.high)]));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const high = remaining.get(partition);
            if (high === undefined || BigInt(message.offset) >= high) return;
            messages.push(message);
            if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/**
 * Waits until `probe` returns a value that satisfies `done`, checking again every `intervalMs`.
 * For state held by another process, where there is no event to await in this one.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await probe();
  }
  return last;
}
