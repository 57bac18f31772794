import { generateSigningKeyPair, spawnTs, type SpawnedProcess } from '@kami/testing';

const CATALOG = 'apps/catalog/src/main.ts';
const SECRET = 'YW4taWRlbXBvdGVuY3ktZmluZ2VycHJpbnQta2V5LTAxMjM0NTY3ODk';

/** A complete, valid environment for the catalog service (nothing is contacted: boot stops at config). */
const VALID: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: 'postgres://postgres:db-password-123@127.0.0.1:5432/kami_catalog_config_boot',
  KAFKA_BROKERS: '127.0.0.1:9092',
  GATEWAY_IDENTITY_PUBLIC_KEY: generateSigningKeyPair().publicKey,
  IDEMPOTENCY_FINGERPRINT_KEY: SECRET,
  RUN_MIGRATIONS_ON_START: 'false',
  OUTBOX_POLL_INTERVAL_MS: '100',
  CONSUMER_MAX_ATTEMPTS: '5',
};

interface Boot {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The variables the error lists, in order (`  - NAME: ...` lines). */
  named: string[];
}

describe('service boot with a bad configuration', () => {
  const started: SpawnedProcess[] = [];

  afterAll(async () => {
    await Promise.allSettled(started.map((p) => p.stop('SIGKILL')));
  });

  async function boot(env: Record<string, string | undefined>): Promise<Boot> {
    const child = spawnTs(CATALOG, env);
    started.push(child);
    let stderr = '';
    child.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // Were the configuration accepted, the service would go on to boot; do not wait for that.
    const timeout = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
    const { code, signal } = await child.exited;
    clearTimeout(timeout);
    const named = [...stderr.matchAll(/^\s+- ([A-Z0-9_]+):/gm)].map((m) => m[1]);
    return { code, signal, stderr, named };
  }

  // The three boots run side by side; each test awaits its own.
  let missing: Promise<Boot>;
  let malformed: Promise<Boot>;
  let several: Promise<Boot>;
  beforeAll(() => {
    // `undefined` removes a variable the test runner's own environment may carry.
    missing = boot({ ...VALID, DATABASE_URL: undefined });
    malformed = boot({ ...VALID, KAFKA_BROKERS: 'not a list' });
    several = boot({ ...VALID, DATABASE_URL: undefined, KAFKA_BROKERS: 'kafka-without-port', IDEMPOTENCY_FINGERPRINT_KEY: 'too-short-secret-value' });
  });

  it('a missing DATABASE_URL stops boot with exit code 78 and a message naming it', async () => {
    const run = await missing;
    expect(run).toMatchObject({ code: 78, signal: null, named: ['DATABASE_URL'] });
    expect(run.stderr).toMatch(/catalog: cannot start/);
    expect(run.stderr).toMatch(/DATABASE_URL: is required but not set/);
    expect(run.stderr).not.toContain(SECRET);
  });

  it('a malformed KAFKA_BROKERS is named, without echoing its value', async () => {
    const run = await malformed;
    expect(run).toMatchObject({ code: 78, signal: null, named: ['KAFKA_BROKERS'] });
    expect(run.stderr).toMatch(/KAFKA_BROKERS must be a comma-separated list of host:port/);
    expect(run.stderr).not.toContain('not a list');
    expect(run.stderr).not.toContain(SECRET);
    expect(run.stderr).not.toContain('db-password-123');
  });

  it('several problems at once are all named in one message', async () => {
    const run = await several;
    expect(run.code).toBe(78);
    expect([...run.named].sort()).toEqual(['DATABASE_URL', 'IDEMPOTENCY_FINGERPRINT_KEY', 'KAFKA_BROKERS']);
    expect(run.stderr).toMatch(/IDEMPOTENCY_FINGERPRINT_KEY must be base64 of at least 32 bytes/);
    expect(run.stderr).not.toContain('too-short-secret-value');
    expect(run.stderr).not.toContain('kafka-without-port');
  });
});
