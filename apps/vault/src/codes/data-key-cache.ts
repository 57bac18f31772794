import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { VaultCrypto } from '../crypto/vault-crypto';

/** How many unwrapped data keys stay in memory, and for how long. */
export const DATA_KEY_CACHE_SIZE = 1_000;
export const DATA_KEY_CACHE_TTL_MS = 5 * 60_000;

interface CachedKey {
  dataKey: Buffer;
  until: number;
}

/**
 * Batches' data keys, unwrapped, held briefly so a reveal of many codes does not unwrap the same
 * key again and again. Bounded in count (least recently used leaves first) and in time, so a key
 * that was re-wrapped or a batch that is gone stops being served soon after.
 */
@Injectable()
export class DataKeyCache {
  private readonly keys = new Map<string, CachedKey>();

  constructor(private readonly crypto: VaultCrypto) {}

  /** The data key of each batch; throws when a batch has no key (a broken vault, never the caller's fault). */
  async keysFor(manager: EntityManager, batchIds: readonly string[], now = Date.now()): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const missing: string[] = [];
    for (const batchId of new Set(batchIds)) {
      const cached = this.keys.get(batchId);
      if (cached && cached.until > now) {
        // Refresh its place: the Map's order is the eviction order.
        this.keys.delete(batchId);
        this.keys.set(batchId, cached);
        found.set(batchId, cached.dataKey);
      } else {
        if (cached) this.keys.delete(batchId);
        missing.push(batchId);
      }
    }
    if (missing.length > 0) {
      const rows: { batch_id: string; master_key_id: string; wrapped_key: Buffer }[] = await manager.query(
        `SELECT batch_id, master_key_id, wrapped_key FROM batch_key WHERE batch_id = ANY($1::uuid[])`,
        [missing],
      );
      for (const row of rows) {
        const dataKey = this.crypto.unwrapDataKey(row.batch_id, row.master_key_id, row.wrapped_key);
        found.set(row.batch_id, dataKey);
        this.remember(row.batch_id, dataKey, now);
      }
      const lost = missing.filter((id) => !found.has(id));
      if (lost.length > 0) throw new Error(`no data key for batch(es) ${lost.join(', ')}`);
    }
    return found;
  }

  /** Forgets every key (tests, or after a master key was retired). */
  clear(): void {
    this.keys.clear();
  }

  get size(): number {
    return this.keys.size;
  }

  private remember(batchId: string, dataKey: Buffer, now: number): void {
    this.keys.set(batchId, { dataKey, until: now + DATA_KEY_CACHE_TTL_MS });
    while (this.keys.size > DATA_KEY_CACHE_SIZE) {
      const oldest = this.keys.keys().next().value as string;
      this.keys.delete(oldest);
    }
  }
}
