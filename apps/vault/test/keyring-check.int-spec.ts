import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { createServiceDataSource } from '@kami/platform';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
import { insertBatch } from '../src/batches/batch-store';
import { ingestCsvStream } from '../src/batches/ingest/csv-ingest';
import { verifyKeyring } from '../src/crypto/keyring-check';
import { MasterKeyringError } from '../src/crypto/master-keyring';
import { VaultCrypto } from '../src/crypto/vault-crypto';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from '../src/database/vault.migrations';

/*
 * A vault whose keyring cannot open the data key of a batch with codes on sale or sold would sell
 * codes nobody can read (every reveal 503). It checks at start, against the real schema, and
 * refuses to start naming the batches and key ids (never key material).
 */

const VAULT_FINGERPRINT_KEY = randomBytes(32).toString('base64');
const dev1 = randomBytes(32).toString('base64');
const first = new VaultCrypto({ VAULT_MASTER_KEYS: `dev1:${dev1}`, VAULT_MASTER_KEY_ID: 'dev1', VAULT_FINGERPRINT_KEY });
const FORMAT = { codePattern: '[A-Z0-9]{12}', pinPolicy: 'none' as const, pinPattern: null, serialRequired: false };

let db: MigratedTestDatabase;
let dataSource: DataSource;

/** A completed batch of `count` codes sealed under `crypto`'s active master key. */
async function completedBatch(crypto: VaultCrypto, count: number, complete = true): Promise<string> {
  const batchId = randomUUID();
  const offerId = randomUUID();
  const dataKey = await dataSource.transaction((manager) =>
    insertBatch(manager, crypto, { id: batchId, offerId, supplierId: randomUUID(), productId: randomUUID(), source: 'csv', fileName: null, createdBy: 'test', workerId: 'keyring-test' }),
  );
  const runner = dataSource.createQueryRunner();
  try {
    const lines = Array.from({ length: count }, () => randomBytes(6).toString('hex').toUpperCase()).join('\n');
    const result = await ingestCsvStream({ client: await runner.connect(), crypto, target: { batchId, offerId, workerId: 'keyring-test', dataKey }, format: FORMAT, source: Readable.from([lines]), maxLines: 100 });
    expect(result).toMatchObject({ failure: null, counts: { accepted: count } });
  } finally {
    await runner.release();
  }
  if (complete) await dataSource.query(`UPDATE batch SET status = 'completed', finished_at = now() WHERE id = $1`, [batchId]);
  return batchId;
}

beforeAll(async () => {
  db = await createMigratedTestDatabase('vault_keyring', (url) => createServiceDataSource({ url, service: 'vault', entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS }));
  dataSource = db.dataSource;
}, 60_000);

afterAll(async () => {
  await db?.dispose();
});

it('passes when the keyring opens every data key of a batch with codes on sale or sold', async () => {
  await completedBatch(first, 3);
  await expect(verifyKeyring(dataSource, first)).resolves.toEqual({ checked: 1 });
});

it('refuses a keyring that does not list, or does not open, the data keys of batches on sale, naming the batches and key ids', async () => {
  const onSale = await completedBatch(first, 2);
  // A second checkout's own development key, under the same id: it lists dev1, but dev1 is another key.
  const secondCheckout = randomBytes(32).toString('base64');
  const sameIdOtherKey = new VaultCrypto({ VAULT_MASTER_KEYS: `dev1:${secondCheckout}`, VAULT_MASTER_KEY_ID: 'dev1', VAULT_FINGERPRINT_KEY });
  const error = await verifyKeyring(dataSource, sameIdOtherKey).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MasterKeyringError);
  const message = (error as Error).message;
  expect(message).toContain(onSale);
  expect(message).toMatch(/2 batch\(es\)/);
  expect(message).toContain('dev1');
  expect(message).not.toContain(secondCheckout);
  expect(message).not.toContain(dev1);

  // A rotated-away key: the batches' key id is not listed at all.
  const rotated = new VaultCrypto({ VAULT_MASTER_KEYS: `k2:${randomBytes(32).toString('base64')}`, VAULT_MASTER_KEY_ID: 'k2', VAULT_FINGERPRINT_KEY });
  await expect(verifyKeyring(dataSource, rotated)).rejects.toThrow(/dev1 \(not listed in VAULT_MASTER_KEYS: 2 batch\(es\)\)/);
});

it('ignores batches with nothing on sale or sold (every code void), and batches that never completed', async () => {
  const other = randomBytes(32).toString('base64');
  const otherCrypto = new VaultCrypto({ VAULT_MASTER_KEYS: `old:${other}`, VAULT_MASTER_KEY_ID: 'old', VAULT_FINGERPRINT_KEY });
  const voided = await completedBatch(otherCrypto, 2);
  await dataSource.query(`UPDATE code SET status = 'void', voided_at = now(), void_cause = 'supplier' WHERE batch_id = $1`, [voided]);
  await completedBatch(otherCrypto, 2, false);
  await expect(verifyKeyring(dataSource, first)).resolves.toEqual({ checked: 2 });
});
