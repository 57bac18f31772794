import type { DataSource } from 'typeorm';
import { MasterKeyringError } from './master-keyring';
import type { VaultCrypto } from './vault-crypto';

export interface KeyRotationReport {
  /** The master key every re-wrapped data key is now under. */
  activeKeyId: string;
  /** Data keys re-wrapped by this run. */
  rewrapped: number;
  /** How many of them were under each older master key. */
  fromKeys: Record<string, number>;
  /** Data keys still under another master key after the run (rows another rotation held locked); 0 when done. */
  remaining: number;
}

export interface KeyRotationOptions {
  /** Batch keys per transaction. */
  chunkSize?: number;
  onChunk?: (progress: { rewrapped: number }) => void;
}

interface BatchKeyRow {
  batch_id: string;
  master_key_id: string;
  wrapped_key: Buffer;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Master key rotation: re-wraps every batch's data key that is not under the active master key
 * (unwrap with its old key, wrap with the active one). The codes are never touched: their
 * secrets stay sealed with the same data keys, only the small `batch_key` rows change. Chunks of
 * rows are claimed with `FOR UPDATE SKIP LOCKED`, each in its own transaction, so a rotation can
 * run beside the live service (and beside another rotation) and can be stopped and run again.
 *
 * Refuses to start, changing nothing, when some data key is under a master key that is no longer
 * listed: that key must be listed again (it cannot be opened otherwise).
 */
export async function rotateDataKeys(dataSource: DataSource, crypto: VaultCrypto, options: KeyRotationOptions = {}): Promise<KeyRotationReport> {
  const activeKeyId = crypto.keyring.activeId;
  const chunkSize = options.chunkSize ?? 500;

  const pending: { master_key_id: string; n: string }[] = await dataSource.query(
    `SELECT master_key_id, count(*) AS n FROM batch_key WHERE master_key_id <> $1 GROUP BY master_key_id ORDER BY master_key_id`,
    [activeKeyId],
  );
  const unknown = pending.filter((row) => !crypto.keyring.has(row.master_key_id));
  if (unknown.length > 0) {
    throw new MasterKeyringError(
      `data keys are wrapped under master keys that VAULT_MASTER_KEYS no longer lists: ${unknown.map((r) => `${r.master_key_id} (${r.n} batches)`).join(', ')}; ` +
        'list them again (with the new active key) and re-run the rotation',
    );
  }

  const fromKeys: Record<string, number> = {};
  let rewrapped = 0;
  let after = NIL_UUID;
  for (;;) {
    const rows = await dataSource.transaction(async (manager) => {
      const claimed: BatchKeyRow[] = await manager.query(
        `SELECT batch_id, master_key_id, wrapped_key FROM batch_key
          WHERE master_key_id <> $1 AND batch_id > $2
          ORDER BY batch_id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [activeKeyId, after, chunkSize],
      );
      if (claimed.length === 0) return claimed;
      const wrapped = claimed.map((row) => {
        const dataKey = crypto.unwrapDataKey(row.batch_id, row.master_key_id, row.wrapped_key);
        try {
          return crypto.wrap(dataKey, row.batch_id, activeKeyId);
        } finally {
          dataKey.fill(0);
        }
      });
      await manager.query(
        `UPDATE batch_key k SET master_key_id = $1, wrapped_key = u.wrapped_key, rewrapped_at = now()
           FROM unnest($2::uuid[], $3::bytea[]) AS u(batch_id, wrapped_key)
          WHERE k.batch_id = u.batch_id`,
        [activeKeyId, claimed.map((row) => row.batch_id), wrapped],
      );
      return claimed;
    });
    if (rows.length === 0) break;
    for (const row of rows) fromKeys[row.master_key_id] = (fromKeys[row.master_key_id] ?? 0) + 1;
    rewrapped += rows.length;
    after = rows[rows.length - 1]!.batch_id;
    options.onChunk?.({ rewrapped });
  }

  const [left] = await dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM batch_key WHERE master_key_id <> $1`, [activeKeyId]);
  return { activeKeyId, rewrapped, fromKeys, remaining: Number(left?.n ?? 0) };
}
