import { execFileSync } from 'node:child_process';

/**
 * Where the tests find PostgreSQL, Redis and Kafka: running servers named by environment
 * variables (`npm test` sets them from the local stack, as CI does), otherwise containers when a
 * Docker engine answers, otherwise the standard local ports. The same tests run every way.
 */
export interface TestInfrastructure {
  /** postgres://user@host:port — without a database name. */
  postgresUrl: string;
  redisUrl: string;
  kafkaBrokers: string;
  stop(): Promise<void>;
}

export function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function fromEnvironment(): TestInfrastructure {
  const pg = process.env.TEST_POSTGRES_URL ?? `postgres://${process.env.PGUSER ?? 'postgres'}@${process.env.PGHOST ?? '127.0.0.1'}:${process.env.PGPORT ?? '5432'}`;
  return {
    postgresUrl: pg.replace(/\/+$/, ''),
    redisUrl: process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    kafkaBrokers: process.env.TEST_KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    stop: async () => undefined,
  };
}

/** testcontainers 11.14 (the last line that runs on Node 20.19); images are pinned. */
async function fromContainers(): Promise<TestInfrastructure> {
  const [{ PostgreSqlContainer }, { RedisContainer }, { KafkaContainer }] = await Promise.all([
    import('@testcontainers/postgresql'),
    import('@testcontainers/redis'),
    import('@testcontainers/kafka'),
  ]);
  const [postgres, redis, kafka] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').withPassword('postgres').start(),
    new RedisContainer('redis:7-alpine').start(),
    new KafkaContainer('apache/kafka:3.9.1').withKraft().start(),
  ]);
  return {
    postgresUrl: `postgres://postgres:postgres@${postgres.getHost()}:${postgres.getPort()}`,
    redisUrl: redis.getConnectionUrl(),
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    stop: async () => {
      await Promise.allSettled([postgres.stop(), redis.stop(), kafka.stop()]);
    },
  };
}

let shared: Promise<TestInfrastructure> | undefined;

/** The infrastructure for this test file (started once per file in container mode). */
export function testInfrastructure(): Promise<TestInfrastructure> {
  const named = Boolean(process.env.TEST_POSTGRES_URL || process.env.TEST_KAFKA_BROKERS || process.env.TEST_REDIS_URL);
  const containers = process.env.KAMI_TEST_CONTAINERS === '1' || (!named && process.env.KAMI_TEST_CONTAINERS !== '0' && dockerAnswers());
  shared ??= containers ? fromContainers() : Promise.resolve(fromEnvironment());
  return shared;
}
