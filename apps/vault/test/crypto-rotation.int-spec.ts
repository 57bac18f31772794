import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { createServiceDataSource } from '@kami/platform';
import { createMigratedTestDatabase, generateSigningKeyPair, spawnTs, testInfrastructure, type MigratedTestDatabase } from '@kami/testing';
import { insertBatch } from '../src/batches/batch-store';
import { ingestCsvStream } from '../src/batches/ingest/csv-ingest';
import { rotateDataKeys } from '../src/crypto/key-rotation';
import { MasterKeyringError } from '../src/crypto/master-keyring';
import { VaultCrypto } from '../src/crypto/vault-crypto';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from '../src/database/vault.migrations';

/*
 * Master key rotation against the real schema: codes sealed under data keys wrapped by k1, the
 * rotation re-wraps the data keys under k2, and the codes themselves are never rewritten.
 */

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64url');
const VAULT_FINGERPRINT_KEY = randomBytes(32).toString('base64');
const before = new VaultCrypto({ VAULT_MASTER_KEYS: `k1:${k1}`, VAULT_MASTER_KEY_ID: 'k1', VAULT_FINGERPRINT_KEY });
const during = new VaultCrypto({ VAULT_MASTER_KEYS: `k1:${k1},k2:${k2}`, VAULT_MASTER_KEY_ID: 'k2', VAULT_FINGERPRINT_KEY });
const after = new VaultCrypto({ VAULT_MASTER_KEYS: `k2:${k2}`, VAULT_MASTER_KEY_ID: 'k2', VAULT_FINGERPRINT_KEY });
const FORMAT = { codePattern: '[A-Z0-9]{12}', pinPolicy: 'optional' as const, pinPattern: null, serialRequired: false };

let db: MigratedTestDatabase;
let dataSource: DataSource;
const uploaded = new Map<string, { code: string; pin: string }[]>();

/** A batch of `count` codes ingested (as the vault does) under `crypto`'s active master key. */
async function ingestBatch(crypto: VaultCrypto, count: number): Promise<string> {
  const batchId = randomUUID();
  const offerId = randomUUID();
  const dataKey = await dataSource.transaction((manager) =>
    insertBatch(manager, crypto, { id: batchId, offerId, supplierId: randomUUID(), productId: randomUUID(), source: 'csv', fileName: null, createdBy: 'test', workerId: 'rotation-test' }),
  );
  const codes = Array.from({ length: count }, () => ({ code: randomBytes(6).toString('hex').toUpperCase(), pin: String(Math.floor(Math.random() * 1e6)) }));
  const runner = dataSource.createQueryRunner();
  try {
    const result = await ingestCsvStream({
      client: await runner.connect(),
      crypto,
      target: { batchId, offerId, workerId: 'rotation-test', dataKey },
      format: FORMAT,
      source: Readable.from([codes.map((c) => `${c.code},${c.pin}`).join('\n')]),
      maxLines: 1000,
    });
    expect(result).toMatchObject({ failure: null, counts: { accepted: count } });
  } finally {
    await runner.release();
  }
  uploaded.set(batchId, codes);
  return batchId;
}

async function secrets(): Promise<Map<string, Buffer>> {
  const rows: { id: string; secret: Buffer }[] = await dataSource.query(`SELECT id::text, secret FROM code ORDER BY id`);
  return new Map(rows.map((r) => [r.id, r.secret]));
}

/** Opens every stored code with `crypto` (unwrapping each batch's data key under the key its row names). */
async function openAll(crypto: VaultCrypto): Promise<Map<string, { code: string; pin?: string }[]>> {
  const opened = new Map<string, { code: string; pin?: string }[]>();
  const keys: { batch_id: string; master_key_id: string; wrapped_key: Buffer }[] = await dataSource.query(`SELECT batch_id, master_key_id, wrapped_key FROM batch_key`);
  for (const key of keys) {
    const dataKey = crypto.unwrapDataKey(key.batch_id, key.master_key_id, key.wrapped_key);
    const rows: { fingerprint: Buffer; secret: Buffer }[] = await dataSource.query(`SELECT fingerprint, secret FROM code WHERE batch_id = $1 ORDER BY id`, [key.batch_id]);
    opened.set(
      key.batch_id,
      rows.map((row) => crypto.open(dataKey, row.fingerprint, row.secret)),
    );
  }
  return opened;
}

const sorted = (codes: { code: string; pin?: string }[]): { code: string; pin?: string }[] => [...codes].sort((a, b) => a.code.localeCompare(b.code));

beforeAll(async () => {
  db = await createMigratedTestDatabase('vault_rotation', (url) => createServiceDataSource({ url, service: 'vault', entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS }));
  dataSource = db.dataSource;
  for (let i = 0; i < 5; i++) await ingestBatch(before, 25);
}, 60_000);

afterAll(async () => {
  await db?.dispose();
});

it('refuses to rotate, changing nothing, while data keys are under a master key the keyring no longer lists', async () => {
  await expect(rotateDataKeys(dataSource, after)).rejects.toThrow(MasterKeyringError);
  await expect(rotateDataKeys(dataSource, after)).rejects.toThrow(/k1 \(5 batches\)/);
  expect(await dataSource.query(`SELECT DISTINCT master_key_id FROM batch_key`)).toEqual([{ master_key_id: 'k1' }]);
});

it('re-wraps every data key under the new master key without touching a code, in chunks, skipping rows another rotation holds', async () => {
  const secretsBefore = await secrets();
  expect(secretsBefore.size).toBe(125);

  // Another transaction holds one batch key (as a concurrent rotation would): it is skipped, not waited for.
  const held = dataSource.createQueryRunner();
  await held.connect();
  await held.startTransaction();
  const [locked] = await held.query(`SELECT batch_id FROM batch_key ORDER BY batch_id LIMIT 1 FOR UPDATE`);
  let first;
  try {
    first = await rotateDataKeys(dataSource, during, { chunkSize: 2 });
  } finally {
    await held.rollbackTransaction();
    await held.release();
  }
  expect(first).toEqual({ activeKeyId: 'k2', rewrapped: 4, fromKeys: { k1: 4 }, remaining: 1 });
  expect(await dataSource.query(`SELECT batch_id FROM batch_key WHERE master_key_id = 'k1'`)).toEqual([{ batch_id: locked.batch_id }]);

  const second = await rotateDataKeys(dataSource, during, { chunkSize: 2 });
  expect(second).toEqual({ activeKeyId: 'k2', rewrapped: 1, fromKeys: { k1: 1 }, remaining: 0 });
  const keys: { master_key_id: string; rewrapped_at: Date | null }[] = await dataSource.query(`SELECT master_key_id, rewrapped_at FROM batch_key`);
  expect(keys).toHaveLength(5);
  for (const key of keys) expect(key).toEqual({ master_key_id: 'k2', rewrapped_at: expect.any(Date) });

  // The codes' bytes are exactly as they were, and every one still opens to what was uploaded.
  expect(await secrets()).toEqual(secretsBefore);
  const opened = await openAll(during);
  for (const [batchId, codes] of uploaded) expect(sorted(opened.get(batchId)!)).toEqual(sorted(codes));

  // A second run finds nothing to do.
  expect(await rotateDataKeys(dataSource, during)).toEqual({ activeKeyId: 'k2', rewrapped: 0, fromKeys: {}, remaining: 0 });
});

it('opens every code with k1 gone from the keyring, and wraps new batches under k2', async () => {
  const opened = await openAll(after);
  expect(opened.size).toBe(5);
  for (const [batchId, codes] of uploaded) expect(sorted(opened.get(batchId)!)).toEqual(sorted(codes));
  const newer = await ingestBatch(after, 3);
  const [key] = await dataSource.query(`SELECT master_key_id FROM batch_key WHERE batch_id = $1`, [newer]);
  expect(key).toEqual({ master_key_id: 'k2' });
  expect(() => before.unwrapDataKey(newer, 'k2', Buffer.alloc(60))).toThrow(MasterKeyringError);
});

it('runs as a command (rotate-keys.ts; npm run vault:rotate-keys runs it built) that says what it re-wrapped from which keys', async () => {
  const infra = await testInfrastructure();
  const k3 = randomBytes(32).toString('base64');
  const command = spawnTs('apps/vault/src/rotate-keys.ts', {
    DATABASE_URL: db.database.url,
    KAFKA_BROKERS: infra.kafkaBrokers,
    REDIS_URL: infra.redisUrl,
    GATEWAY_IDENTITY_PUBLIC_KEY: generateSigningKeyPair().publicKey,
    TRUSTED_SERVICE_KEYS: `delivery:${generateSigningKeyPair().publicKey}`,
    IDEMPOTENCY_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
    VAULT_MASTER_KEYS: `k2:${k2},k3:${k3}`,
    VAULT_MASTER_KEY_ID: 'k3',
    VAULT_FINGERPRINT_KEY,
    LOG_LEVEL: 'warn',
  });
  expect(await command.exited).toEqual({ code: 0, signal: null });
  expect(command.output()).toContain('vault: re-wrapped 6 data key(s) under master key k3 (6 from k2)');
  expect(command.output()).not.toContain(k2);
  expect(command.output()).not.toContain(k3);
  expect(await dataSource.query(`SELECT DISTINCT master_key_id FROM batch_key`)).toEqual([{ master_key_id: 'k3' }]);

  // A keyring without the key the data keys are under: a clear refusal naming the key id, never a key.
  const refused = spawnTs('apps/vault/src/rotate-keys.ts', {
    DATABASE_URL: db.database.url,
    KAFKA_BROKERS: infra.kafkaBrokers,
    REDIS_URL: infra.redisUrl,
    GATEWAY_IDENTITY_PUBLIC_KEY: generateSigningKeyPair().publicKey,
    TRUSTED_SERVICE_KEYS: `delivery:${generateSigningKeyPair().publicKey}`,
    IDEMPOTENCY_FINGERPRINT_KEY: randomBytes(32).toString('base64'),
    VAULT_MASTER_KEYS: `k2:${k2}`,
    VAULT_MASTER_KEY_ID: 'k2',
    VAULT_FINGERPRINT_KEY,
    LOG_LEVEL: 'warn',
  });
  expect((await refused.exited).code).toBe(1);
  expect(refused.output()).toContain('k3 (6 batches)');
  expect(refused.output()).not.toContain(k2);
}, 60_000);
