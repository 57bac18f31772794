import { Kafka, logLevel, Partitioners, type LogEntry, type Producer } from 'kafkajs';
import type { Logger as PinoLogger } from 'pino';
import { deadLetterTopicOf } from '@kami/contracts';
// Before any kafkajs connection exists: the idle request-queue loop (see the module).
import './kafkajs-idle-fix';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function parseBrokers(list: string): string[] {
  return list.split(',').map((b) => b.trim()).filter(Boolean);
}

/** A kafkajs client whose own log lines go through the service's (redacting) JSON logger. */
export function createKafka(clientId: string, brokers: string, logger: PinoLogger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: parseBrokers(brokers),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info']({ ...rest, namespace: undefined }, message);
      },
  });
}

/**
 * The producer behind the outbox relay and dead-lettering. Delivery is at-least-once by design
 * (consumers' inboxes drop duplicates), so kafkajs's still-experimental idempotent mode is not
 * used; one request in flight keeps a partition's events in order across retries.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Creates missing topics (and their dead-letter twins when asked); existing topics are left alone. */
export async function ensureTopics(
  kafka: Kafka,
  topics: readonly string[],
  options: { partitions?: number; withDeadLetter?: boolean } = {},
): Promise<void> {
  const wanted = new Set<string>();
  for (const topic of topics) {
    wanted.add(topic);
    if (options.withDeadLetter ?? true) wanted.add(deadLetterTopicOf(topic));
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Processes starting together create the same topics: the one that loses the race may ask for
    // a topic's leader before the broker hosts it (UNKNOWN_TOPIC_OR_PARTITION, retriable). Retry.
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = [...wanted].filter((t) => !existing.has(t));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: options.partitions ?? 3, replicationFactor: 1 })),
          });
        }
        await admin.fetchTopicMetadata({ topics: [...wanted] });
        return;
      } catch (error) {
        if (!(error as { retriable?: boolean }).retriable || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
