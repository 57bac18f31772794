import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MasterKeyringError } from './master-keyring';
import { VaultCrypto } from './vault-crypto';

/** Batches named in the refusal (the count says how many in all). */
const NAMED_BATCHES = 20;

interface BatchKeyRow {
  batch_id: string;
  master_key_id: string;
  wrapped_key: Buffer;
}

/**
 * Checks that the keyring opens the data key of every batch with codes on sale or sold (available,
 * reserved or sold codes of a completed batch). Throws MasterKeyringError naming the batches and
 * key ids it does not open (never key material): a vault that started anyway would sell codes that
 * no reveal can open (a second checkout's development key, a mis-set VAULT_MASTER_KEYS after a deploy).
 */
export async function verifyKeyring(dataSource: DataSource, crypto: VaultCrypto): Promise<{ checked: number }> {
  const rows: BatchKeyRow[] = await dataSource.query(
    `SELECT k.batch_id::text AS batch_id, k.master_key_id, k.wrapped_key
       FROM batch_key k JOIN batch b ON b.id = k.batch_id AND b.status = 'completed'
      WHERE EXISTS (SELECT 1 FROM code c WHERE c.batch_id = k.batch_id AND c.status IN ('available', 'allocated'))
      ORDER BY k.batch_id`,
  );
  const failed: { batchId: string; keyId: string; listed: boolean }[] = [];
  for (const row of rows) {
    if (!crypto.keyring.has(row.master_key_id)) {
      failed.push({ batchId: row.batch_id, keyId: row.master_key_id, listed: false });
      continue;
    }
    try {
      crypto.unwrapDataKey(row.batch_id, row.master_key_id, row.wrapped_key).fill(0);
    } catch {
      failed.push({ batchId: row.batch_id, keyId: row.master_key_id, listed: true });
    }
  }
  if (failed.length === 0) return { checked: rows.length };

  const byKey = new Map<string, { listed: boolean; n: number }>();
  for (const f of failed) byKey.set(f.keyId, { listed: f.listed, n: (byKey.get(f.keyId)?.n ?? 0) + 1 });
  const keys = [...byKey]
    .map(([id, { listed, n }]) => `${id} (${listed ? 'listed in VAULT_MASTER_KEYS, but a different key than the one they were wrapped with' : 'not listed in VAULT_MASTER_KEYS'}: ${n} batch(es))`)
    .join(', ');
  const named = failed.slice(0, NAMED_BATCHES).map((f) => `${f.batchId} (key ${f.keyId})`).join(', ');
  const more = failed.length > NAMED_BATCHES ? ` and ${failed.length - NAMED_BATCHES} more` : '';
  throw new MasterKeyringError(
    `VAULT_MASTER_KEYS does not open the data keys of ${failed.length} batch(es) with codes on sale or sold, so their codes could be sold but never revealed; ` +
      `master keys: ${keys}; batches: ${named}${more}. Start the vault with the master keys these batches were wrapped under (a development stack: the secrets stored with its databases).`,
  );
}

/** Runs verifyKeyring before the vault serves or consumes anything: a failure stops the start. */
@Injectable()
export class KeyringCheck implements OnModuleInit {
  private readonly logger = new Logger(KeyringCheck.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly crypto: VaultCrypto,
  ) {}

  async onModuleInit(): Promise<void> {
    const { checked } = await verifyKeyring(this.dataSource, this.crypto);
    this.logger.log({ batches: checked, keys: this.crypto.keyring.ids() }, 'the master keys open every batch with codes on sale or sold');
  }
}
