import { generateKeyPairSync } from 'node:crypto';
import { IsString } from 'class-validator';
import { ConfigValidationError, loadConfig } from './load-config';
import { ServiceConfig } from './service-config';

class TestServiceConfig extends ServiceConfig {
  override PORT = 3999;

  @IsString()
  EXTRA_SETTING = 'extra-default';
}

const SECRET = 'YS12ZXJ5LXNlY3JldC1maW5nZXJwcmludC1rZXktMDEyMzQ1Njc4OQ';
const gateway = generateKeyPairSync('ed25519');
const GATEWAY_PUBLIC_KEY = gateway.publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
const GATEWAY_PRIVATE_KEY = gateway.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url');

/** A service that calls another and is called (both kinds of internal keys are then required). */
class CallingServiceConfig extends TestServiceConfig {
  static override callsOtherServices = true;
  static override acceptsServiceCalls = true;
}

/** The gateway signs identities; it does not verify them. */
class GatewayLikeConfig extends TestServiceConfig {
  static override verifiesForwardedIdentity = false;
}
const DB_PASSWORD = 'db-password-s3cret';

const REQUIRED = {
  DATABASE_URL: `postgres://kami:${DB_PASSWORD}@127.0.0.1:5432/kami_catalog`,
  KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
  GATEWAY_IDENTITY_PUBLIC_KEY: GATEWAY_PUBLIC_KEY,
  IDEMPOTENCY_FINGERPRINT_KEY: SECRET,
};

function problemsOf(env: NodeJS.ProcessEnv): ConfigValidationError {
  try {
    loadConfig(TestServiceConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('applies the defaults for variables that are not set (or set empty)', () => {
    const config = loadConfig(TestServiceConfig, { ...REQUIRED, LOG_LEVEL: '' });
    expect(config).toBeInstanceOf(TestServiceConfig);
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: 3999,
      HOST: '127.0.0.1',
      RUN_MIGRATIONS_ON_START: true,
      OUTBOX_POLL_INTERVAL_MS: 100,
      CONSUMER_MAX_ATTEMPTS: 5,
      EXTRA_SETTING: 'extra-default',
      ...REQUIRED,
    });
  });

  it('coerces numbers and booleans from their string form', () => {
    const config = loadConfig(TestServiceConfig, {
      ...REQUIRED,
      PORT: '8080',
      OUTBOX_POLL_INTERVAL_MS: ' 250 ',
      CONSUMER_MAX_ATTEMPTS: '7',
      RUN_MIGRATIONS_ON_START: 'false',
    });
    expect(config.PORT).toBe(8080);
    expect(config.OUTBOX_POLL_INTERVAL_MS).toBe(250);
    expect(config.CONSUMER_MAX_ATTEMPTS).toBe(7);
    expect(config.RUN_MIGRATIONS_ON_START).toBe(false);
    for (const yes of ['1', 'true', 'TRUE', 'yes', 'on']) {
      expect(loadConfig(TestServiceConfig, { ...REQUIRED, RUN_MIGRATIONS_ON_START: yes }).RUN_MIGRATIONS_ON_START).toBe(true);
    }
    expect(loadConfig(TestServiceConfig, { ...REQUIRED, RUN_MIGRATIONS_ON_START: '0' }).RUN_MIGRATIONS_ON_START).toBe(false);
  });

  it('keeps only the variables the config class declares', () => {
    const config = loadConfig(TestServiceConfig, { ...REQUIRED, PATH: '/usr/bin', UNRELATED_TOKEN: 'x' }) as unknown as Record<string, unknown>;
    expect(config.PATH).toBeUndefined();
    expect(config.UNRELATED_TOKEN).toBeUndefined();
  });

  it('names every missing variable in one error', () => {
    const error = problemsOf({});
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'GATEWAY_IDENTITY_PUBLIC_KEY', 'IDEMPOTENCY_FINGERPRINT_KEY', 'KAFKA_BROKERS']);
    for (const problem of error.problems) expect(problem.messages).toEqual(['is required but not set']);
    expect(error.message).toMatch(/DATABASE_URL: is required but not set/);
    expect(error.message).toMatch(/KAFKA_BROKERS: is required but not set/);
    expect(error.message).toMatch(/GATEWAY_IDENTITY_PUBLIC_KEY: is required but not set/);
  });

  it('asks each service for the keys of what it does, and for no shared secret', () => {
    expect(problemsOf({ ...REQUIRED, GATEWAY_IDENTITY_PUBLIC_KEY: undefined }).problems.map((p) => p.variable)).toEqual(['GATEWAY_IDENTITY_PUBLIC_KEY']);
    const gatewayLike = { ...REQUIRED, GATEWAY_IDENTITY_PUBLIC_KEY: undefined };
    expect(loadConfig(GatewayLikeConfig, gatewayLike).GATEWAY_IDENTITY_PUBLIC_KEY).toBeUndefined();
    let refused: ConfigValidationError | undefined;
    try {
      loadConfig(CallingServiceConfig, REQUIRED);
    } catch (error) {
      refused = error as ConfigValidationError;
    }
    expect(refused?.problems.map((p) => p.variable).sort()).toEqual(['SERVICE_SIGNING_KEY', 'TRUSTED_SERVICE_KEYS']);
    const caller = loadConfig(CallingServiceConfig, { ...REQUIRED, SERVICE_SIGNING_KEY: GATEWAY_PRIVATE_KEY, TRUSTED_SERVICE_KEYS: `delivery:${GATEWAY_PUBLIC_KEY}` });
    expect(caller.TRUSTED_SERVICE_KEYS).toBe(`delivery:${GATEWAY_PUBLIC_KEY}`);
    expect((loadConfig(TestServiceConfig, { ...REQUIRED, INTERNAL_IDENTITY_SECRET: 'x'.repeat(40) }) as unknown as Record<string, unknown>).INTERNAL_IDENTITY_SECRET).toBeUndefined();
  });

  it('refuses a key of the wrong kind in each key setting', () => {
    const error = problemsOf({
      ...REQUIRED,
      GATEWAY_IDENTITY_PUBLIC_KEY: GATEWAY_PRIVATE_KEY,
      SERVICE_SIGNING_KEY: GATEWAY_PUBLIC_KEY,
      TRUSTED_SERVICE_KEYS: GATEWAY_PUBLIC_KEY,
      IDEMPOTENCY_FINGERPRINT_KEY: 'short',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['GATEWAY_IDENTITY_PUBLIC_KEY', 'IDEMPOTENCY_FINGERPRINT_KEY', 'SERVICE_SIGNING_KEY', 'TRUSTED_SERVICE_KEYS']);
    expect(error.message).toMatch(/GATEWAY_IDENTITY_PUBLIC_KEY must be an Ed25519 public key/);
    expect(error.message).toMatch(/TRUSTED_SERVICE_KEYS must be service:publicKey pairs/);
    for (const value of [GATEWAY_PRIVATE_KEY, GATEWAY_PUBLIC_KEY]) expect(error.message).not.toContain(value);
  });

  it('names every malformed variable in one error', () => {
    const error = problemsOf({
      ...REQUIRED,
      NODE_ENV: 'staging',
      LOG_LEVEL: 'loud',
      PORT: '70000',
      DATABASE_URL: 'mysql://root@localhost/kami',
      KAFKA_BROKERS: 'not a list',
      IDEMPOTENCY_FINGERPRINT_KEY: 'short',
      OUTBOX_POLL_INTERVAL_MS: '1.5',
      CONSUMER_MAX_ATTEMPTS: '0',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'CONSUMER_MAX_ATTEMPTS',
      'DATABASE_URL',
      'IDEMPOTENCY_FINGERPRINT_KEY',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'NODE_ENV',
      'OUTBOX_POLL_INTERVAL_MS',
      'PORT',
    ]);
    expect(error.message).toMatch(/KAFKA_BROKERS must be a comma-separated list of host:port/);
    expect(error.message).toMatch(/DATABASE_URL must be a postgres:\/\/ URL naming a database/);
    expect(error.message).toMatch(/IDEMPOTENCY_FINGERPRINT_KEY must be base64 of at least 32 bytes/);
    expect(error.message).toMatch(/PORT must not be greater than 65535/);
  });

  it('never echoes a value in the error', () => {
    const badSecret = 'short-s3cret';
    const badUrl = `postgres://kami:${DB_PASSWORD}@127.0.0.1:5432/`;
    const error = problemsOf({ ...REQUIRED, DATABASE_URL: badUrl, IDEMPOTENCY_FINGERPRINT_KEY: badSecret, KAFKA_BROKERS: 'broker-without-port' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'IDEMPOTENCY_FINGERPRINT_KEY', 'KAFKA_BROKERS']);
    const everything = `${error.message}\n${JSON.stringify(error.problems)}`;
    for (const value of [badSecret, DB_PASSWORD, 'broker-without-port']) expect(everything).not.toContain(value);
  });
});
