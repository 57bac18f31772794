import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

// Unrecognised strings pass through unchanged so that @IsBoolean names the variable.
export const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};
/** Environment strings of digits become numbers; anything else passes through for @IsInt to name. */
export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** Settings every Kami service reads. A service's own config class extends this one. */
export class ServiceConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** HTTP port of the service. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT!: number;

  /** Address other processes use to bind; 127.0.0.1 locally, 0.0.0.0 in containers. */
  @IsString()
  HOST = '127.0.0.1';

  /**
   * Port of the Prometheus scrape endpoint (`GET /metrics`), a listener of its own, never the
   * public port. Unset: metrics are not served.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

  /** Address the metrics listener binds: loopback unless the scraper runs elsewhere (in a cluster, 0.0.0.0 behind a NetworkPolicy). */
  @IsString()
  METRICS_HOST = '127.0.0.1';

  /** postgres://user:pass@host:port/database — the service's own database. */
  @Matches(/^postgres(ql)?:\/\/.+\/[A-Za-z0-9_]+(\?.*)?$/, { message: 'DATABASE_URL must be a postgres:// URL naming a database' })
  DATABASE_URL!: string;

  /** Run pending migrations when the service starts (development); in production run `migrate` first. */
  @Transform(toBoolean)
  @IsBoolean()
  RUN_MIGRATIONS_ON_START = true;

  /** Comma-separated host:port list. */
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS!: string;

  /** Shared secret the gateway signs forwarded identities with; services verify it. */
  @IsString()
  @MinLength(32, { message: 'INTERNAL_IDENTITY_SECRET must be at least 32 characters' })
  INTERNAL_IDENTITY_SECRET!: string;

  /** How often the outbox relay looks for unpublished events when idle, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  OUTBOX_POLL_INTERVAL_MS = 100;

  /** Attempts a consumer makes at a failing event before it goes to the dead-letter topic. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(50)
  CONSUMER_MAX_ATTEMPTS = 5;

  /**
   * Put before every consumer group id (`<prefix><service>.<consumer>`). Empty in production; tests
   * give each process its own groups so that processes sharing a broker each see every event.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'KAFKA_CONSUMER_GROUP_PREFIX may hold letters, digits, dots, dashes and underscores only' })
  KAFKA_CONSUMER_GROUP_PREFIX = '';

  /**
   * Put before every topic name on the wire (`<prefix>vault.allocation.v1`). Empty in production;
   * the test harness gives each system it starts its own topics, so systems sharing a broker (test
   * files running side by side) never consume, and act on, each other's events.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'KAFKA_TOPIC_PREFIX may hold letters, digits, dots, dashes and underscores only' })
  KAFKA_TOPIC_PREFIX = '';
}

/** For services that use Redis: `@IsRedisUrl() REDIS_URL!: string;` in their config class. */
export const IsRedisUrl = (): PropertyDecorator =>
  Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// URL' });

/** What the platform needs from a config that uses Redis. */
export interface WithRedis {
  REDIS_URL: string;
}
