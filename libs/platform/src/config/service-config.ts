import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { isPrivateKey, isPublicKey, parseTrustedKeys } from '../auth/request-token';
import { StrongSecretInProduction } from './secret-strength';

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

/**
 * Which keys a service's config must hold, by what it does: a config class says so in statics
 * (`static override callsOtherServices = true`).
 */
export interface ServiceKeyNeeds {
  /** Verifies the identities the gateway forwards (every service but the gateway). */
  verifiesForwardedIdentity: boolean;
  /** Calls another service's internal routes (needs SERVICE_SIGNING_KEY). */
  callsOtherServices: boolean;
  /** Has internal routes other services call (needs TRUSTED_SERVICE_KEYS). */
  acceptsServiceCalls: boolean;
}

const settingsOf = (config: ServiceConfig): ServiceKeyNeeds => config.constructor as unknown as ServiceKeyNeeds;

const IsSigningKey = (kind: 'public' | 'private', message: string): PropertyDecorator =>
  ValidateBy({
    name: `isEd25519${kind}Key`,
    validator: { validate: (value: unknown) => typeof value === 'string' && (kind === 'public' ? isPublicKey(value) : isPrivateKey(value)), defaultMessage: () => message },
  });

const IsTrustedServiceKeys = (): PropertyDecorator =>
  ValidateBy({
    name: 'isTrustedServiceKeys',
    validator: {
      validate: (value: unknown) => {
        if (typeof value !== 'string' || value.trim() === '') return false;
        try {
          parseTrustedKeys(value);
          return true;
        } catch {
          return false;
        }
      },
      defaultMessage: () => 'TRUSTED_SERVICE_KEYS must be service:publicKey pairs (Ed25519, base64url SPKI DER), comma separated',
    },
  });

/** Settings every Kami service reads. A service's own config class extends this one. */
export class ServiceConfig {
  static verifiesForwardedIdentity = true;
  static callsOtherServices = false;
  static acceptsServiceCalls = false;

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

  /**
   * The address the service listens on: loopback unless set otherwise, so that only the gateway is
   * reachable from outside a host. Containers set 0.0.0.0 explicitly (docker-compose.yml, k8s).
   */
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

  /**
   * The gateway's Ed25519 public key (base64url SPKI DER, or PEM): a service accepts a forwarded
   * identity only when it is signed with the matching private key, which only the gateway holds
   * (GATEWAY_IDENTITY_PRIVATE_KEY). Every service but the gateway needs it.
   */
  @ValidateIf((c: ServiceConfig) => settingsOf(c).verifiesForwardedIdentity || c.GATEWAY_IDENTITY_PUBLIC_KEY !== undefined)
  @IsSigningKey('public', 'GATEWAY_IDENTITY_PUBLIC_KEY must be an Ed25519 public key (base64url SPKI DER or PEM)')
  // A published key pair's public half: anyone holding the published private half could sign.
  @StrongSecretInProduction()
  GATEWAY_IDENTITY_PUBLIC_KEY?: string;

  /**
   * This service's own Ed25519 private key (base64url PKCS8 DER, or PEM), for the internal calls it
   * makes (delivery's reveals at the vault). Only services that call another need one.
   */
  @ValidateIf((c: ServiceConfig) => settingsOf(c).callsOtherServices || c.SERVICE_SIGNING_KEY !== undefined)
  @IsSigningKey('private', 'SERVICE_SIGNING_KEY must be an Ed25519 private key (base64url PKCS8 DER or PEM)')
  @StrongSecretInProduction()
  SERVICE_SIGNING_KEY?: string;

  /**
   * The callers this service accepts internal calls from: `service:publicKey` pairs, comma
   * separated (the vault: `delivery:<delivery's public key>`). Each route still names which of
   * them may call it. Only services with internal routes need it.
   */
  @ValidateIf((c: ServiceConfig) => settingsOf(c).acceptsServiceCalls || c.TRUSTED_SERVICE_KEYS !== undefined)
  @IsTrustedServiceKeys()
  @StrongSecretInProduction((value) => value.split(',').map((pair) => pair.slice(pair.indexOf(':') + 1)))
  TRUSTED_SERVICE_KEYS?: string;

  /**
   * This service's own key for idempotency fingerprints (HMAC of a request's body, stored with its
   * Idempotency-Key): base64 of at least 32 bytes. Derived from nothing else.
   */
  @Matches(/^[A-Za-z0-9+/=_-]{43,}$/, { message: 'IDEMPOTENCY_FINGERPRINT_KEY must be base64 of at least 32 bytes' })
  @StrongSecretInProduction()
  IDEMPOTENCY_FINGERPRINT_KEY!: string;

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
