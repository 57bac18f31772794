import type { EntityManager } from 'typeorm';
import { decodeCursor, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { VaultCrypto } from '../crypto/vault-crypto';
import type { BatchCodeCountsDto, BatchDto, BatchSource, BatchStatus, BatchSummaryDto, ListBatchesQuery, RefusalDto, RefusalsQuery } from './batch.dto';
import type { IngestFailure } from './ingest/csv-ingest';

/** A batch row as the vault stores it. */
export interface BatchRow {
  id: string;
  offer_id: string;
  supplier_id: string;
  product_id: string;
  source: BatchSource;
  status: BatchStatus;
  file_name: string | null;
  lines_received: number;
  accepted: number;
  refused_bad_format: number;
  refused_duplicate_in_batch: number;
  refused_duplicate_in_vault: number;
  refused_expired: number;
  failure_code: string | null;
  failure_detail: string | null;
  worker_id: string | null;
  heartbeat_at: Date | null;
  created_at: Date;
  finished_at: Date | null;
  /** created_at with microseconds, for cursors. */
  created_at_text: string;
}

const SELECT_BATCH = `SELECT b.*, to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text FROM batch b`;

/** TypeORM answers UPDATE/DELETE ... RETURNING as [rows, count] and everything else as rows. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export interface NewBatch {
  id: string;
  offerId: string;
  supplierId: string;
  productId: string;
  source: BatchSource;
  fileName: string | null;
  createdBy: string;
  /** Set for a batch ingested at once (inline codes): the process ingesting it, with a heartbeat from now. */
  workerId: string | null;
}

/** Inserts a receiving batch and its data key (wrapped under the active master key); returns the data key. */
export async function insertBatch(manager: EntityManager, crypto: VaultCrypto, batch: NewBatch): Promise<Buffer> {
  const { dataKey, masterKeyId, wrappedKey } = crypto.newDataKey(batch.id);
  await manager.query(
    `INSERT INTO batch (id, offer_id, supplier_id, product_id, source, status, file_name, created_by, worker_id, heartbeat_at)
     VALUES ($1, $2, $3, $4, $5, 'receiving', $6, $7, $8::text, CASE WHEN $8::text IS NULL THEN NULL ELSE now() END)`,
    [batch.id, batch.offerId, batch.supplierId, batch.productId, batch.source, batch.fileName, batch.createdBy, batch.workerId],
  );
  await manager.query(`INSERT INTO batch_key (batch_id, master_key_id, wrapped_key) VALUES ($1, $2, $3)`, [batch.id, masterKeyId, wrappedKey]);
  return dataKey;
}

/** The batch's data key, unwrapped. */
export async function loadDataKey(manager: EntityManager, crypto: VaultCrypto, batchId: string): Promise<Buffer> {
  const rows: { master_key_id: string; wrapped_key: Buffer }[] = await manager.query(`SELECT master_key_id, wrapped_key FROM batch_key WHERE batch_id = $1`, [batchId]);
  const row = rows[0];
  if (!row) throw new Error(`batch ${batchId} has no data key`);
  return crypto.unwrapDataKey(batchId, row.master_key_id, row.wrapped_key);
}

/**
 * Makes this process the receiver of a CSV batch's content: only a csv batch in `receiving`
 * that no one has started (no worker, no heartbeat), so a batch takes its content once.
 */
export async function claimForContent(manager: EntityManager, batchId: string, supplierId: string, workerId: string): Promise<BatchRow | undefined> {
  const rows = returnedRows<BatchRow>(
    await manager.query(
      `UPDATE batch SET worker_id = $3, heartbeat_at = now()
        WHERE id = $1 AND supplier_id = $2 AND source = 'csv' AND status = 'receiving' AND worker_id IS NULL AND heartbeat_at IS NULL
        RETURNING *, '' AS created_at_text`,
      [batchId, supplierId, workerId],
    ),
  );
  return rows[0];
}

export async function touchHeartbeat(manager: EntityManager, batchId: string, workerId: string): Promise<void> {
  await manager.query(`UPDATE batch SET heartbeat_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'receiving'`, [batchId, workerId]);
}

/**
 * In the caller's transaction: the batch completes (only while it is receiving and, when a
 * worker is named, still that worker's). Returns its accepted count, or undefined when the batch
 * was no longer receiving.
 */
export async function markCompleted(manager: EntityManager, batchId: string, workerId: string): Promise<{ accepted: number; offerId: string; supplierId: string } | undefined> {
  const rows = returnedRows<{ accepted: number; offer_id: string; supplier_id: string }>(
    await manager.query(
      `UPDATE batch SET status = 'completed', finished_at = now(), heartbeat_at = now()
        WHERE id = $1 AND status = 'receiving' AND worker_id = $2
        RETURNING accepted, offer_id, supplier_id`,
      [batchId, workerId],
    ),
  );
  const row = rows[0];
  return row ? { accepted: row.accepted, offerId: row.offer_id, supplierId: row.supplier_id } : undefined;
}

/**
 * In the caller's transaction: a batch whose lines are too often codes other suppliers hold is held
 * for operator review instead of completing (its codes stay off sale: only completed batches'
 * codes are). True when it was: the batch was still receiving and this worker's, and more than
 * `maxShare` of its lines are such codes.
 */
export async function holdIfSuspect(manager: EntityManager, batchId: string, workerId: string, maxShare: number): Promise<boolean> {
  const rows = returnedRows<{ id: string }>(
    await manager.query(
      `UPDATE batch b SET status = 'held', finished_at = now(), heartbeat_at = now()
        WHERE b.id = $1 AND b.status = 'receiving' AND b.worker_id = $2 AND b.lines_received > 0
          AND (SELECT count(*) FROM duplicate_signal s WHERE s.batch_id = b.id) > $3::float8 * b.lines_received
        RETURNING b.id`,
      [batchId, workerId, maxShare],
    ),
  );
  return rows.length > 0;
}

/** An operator's review of a held batch: released (completed, as the ingest would have) or rejected (failed, its codes gone). */
export async function reviewHeld(
  manager: EntityManager,
  batchId: string,
  decision: 'release' | 'reject',
  reviewer: string,
): Promise<{ accepted: number; offerId: string; supplierId: string } | undefined> {
  const locked: { accepted: number; offer_id: string; supplier_id: string }[] = await manager.query(
    `SELECT accepted, offer_id, supplier_id FROM batch WHERE id = $1 AND status = 'held' FOR UPDATE`,
    [batchId],
  );
  const batch = locked[0];
  if (!batch) return undefined;
  if (decision === 'reject') {
    await manager.query(`DELETE FROM code WHERE batch_id = $1`, [batchId]);
    await manager.query(
      `UPDATE batch SET status = 'failed', failure_code = 'rejected_in_review', failure_detail = $2, reviewed_by = $3, reviewed_at = now() WHERE id = $1`,
      [batchId, 'An operator rejected this batch on review (too many of its codes were already in the vault); none of its codes were kept.', reviewer],
    );
  } else {
    await manager.query(`UPDATE batch SET status = 'completed', reviewed_by = $2, reviewed_at = now() WHERE id = $1`, [batchId, reviewer]);
  }
  return { accepted: batch.accepted, offerId: batch.offer_id, supplierId: batch.supplier_id };
}

/**
 * In the caller's transaction: the batch fails and its codes go (they were never visible: a
 * batch's codes count only once it completes); its refusal report stays. The batch row is locked
 * first, so a chunk being written for it either committed before (and its codes are deleted
 * here) or finds the batch failed and writes nothing. `workerId` null: whoever held it (recovery).
 */
export async function markFailed(manager: EntityManager, batchId: string, workerId: string | null, failure: IngestFailure): Promise<boolean> {
  const locked: { id: string }[] = await manager.query(
    `SELECT id FROM batch WHERE id = $1 AND status = 'receiving' AND ($2::text IS NULL OR worker_id = $2::text) FOR UPDATE`,
    [batchId, workerId],
  );
  if (locked.length === 0) return false;
  await manager.query(`DELETE FROM code WHERE batch_id = $1`, [batchId]);
  await manager.query(`UPDATE batch SET status = 'failed', failure_code = $2, failure_detail = $3, finished_at = now() WHERE id = $1`, [
    batchId,
    failure.code,
    failure.detail,
  ]);
  return true;
}

/** Who sees which batches: a supplier its own, an operator all; anyone else none. */
function visibility(identity: Identity, params: unknown[]): string[] {
  if (identity.organisationType === 'operator') return [];
  if (identity.organisationType === 'supplier') return [`b.supplier_id = $${params.push(identity.organisationId)}`];
  return ['false'];
}

export async function findVisibleBatch(manager: EntityManager, identity: Identity, batchId: string): Promise<BatchRow | undefined> {
  const params: unknown[] = [batchId];
  const where = ['b.id = $1', ...visibility(identity, params)];
  const rows: BatchRow[] = await manager.query(`${SELECT_BATCH} WHERE ${where.join(' AND ')}`, params);
  return rows[0];
}

export async function findBatch(manager: EntityManager, batchId: string): Promise<BatchRow | undefined> {
  const rows: BatchRow[] = await manager.query(`${SELECT_BATCH} WHERE b.id = $1`, [batchId]);
  return rows[0];
}

export function toBatchSummary(row: BatchRow): BatchSummaryDto {
  return {
    id: row.id,
    offerId: row.offer_id,
    status: row.status,
    source: row.source,
    fileName: row.file_name,
    linesReceived: row.lines_received,
    accepted: row.accepted,
    refused: {
      bad_format: row.refused_bad_format,
      duplicate_in_batch: row.refused_duplicate_in_batch,
      duplicate_in_vault: row.refused_duplicate_in_vault,
      expired: row.refused_expired,
    },
    failure: row.failure_code ? { code: row.failure_code, detail: row.failure_detail ?? '' } : null,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  };
}

const NO_CODES: BatchCodeCountsDto = { available: 0, reserved: 0, sold: 0, void: 0, expired: 0 };

/**
 * The batch's codes by state, once it completed (before, its codes are invisible: nothing of a
 * receiving or failed batch is on sale). Allocated codes are reserved while their reservation is
 * held and sold once it is committed.
 */
export async function codeCounts(manager: EntityManager, row: BatchRow): Promise<BatchCodeCountsDto> {
  if (row.status !== 'completed' || row.accepted === 0) return { ...NO_CODES };
  const rows: { available: string; reserved: string; sold: string; void: string; expired: string }[] = await manager.query(
    `SELECT count(*) FILTER (WHERE c.status = 'available') AS available,
            count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'held') AS reserved,
            count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'committed') AS sold,
            count(*) FILTER (WHERE c.status = 'void') AS void,
            count(*) FILTER (WHERE c.status = 'void' AND c.void_cause = 'expired') AS expired
       FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
      WHERE c.batch_id = $1`,
    [row.id],
  );
  const r = rows[0]!;
  return { available: Number(r.available), reserved: Number(r.reserved), sold: Number(r.sold), void: Number(r.void), expired: Number(r.expired) };
}

export async function toBatchDto(manager: EntityManager, row: BatchRow): Promise<BatchDto> {
  return { ...toBatchSummary(row), codes: await codeCounts(manager, row) };
}

/** Newest first, keyset on (created_at, id). */
export async function listVisibleBatches(manager: EntityManager, identity: Identity, query: ListBatchesQuery): Promise<CursorPage<BatchSummaryDto>> {
  const params: unknown[] = [];
  const where = visibility(identity, params);
  if (query.offerId) where.push(`b.offer_id = $${params.push(query.offerId)}`);
  if (query.status) where.push(`b.status = $${params.push(query.status)}`);
  if (query.supplierId && identity.organisationType === 'operator') where.push(`b.supplier_id = $${params.push(query.supplierId)}`);
  if (query.cursor) {
    const [createdAt, id] = decodeCursor(query.cursor, 2);
    where.push(`(b.created_at, b.id) < ($${params.push(createdAt)}::timestamptz, $${params.push(id)}::uuid)`);
  }
  const rows: BatchRow[] = await manager.query(
    `${SELECT_BATCH} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY b.created_at DESC, b.id DESC LIMIT $${params.push(query.limit + 1)}`,
    params,
  );
  return toCursorPage(rows, query.limit, (row) => [row.created_at_text, row.id], toBatchSummary);
}

/** A batch's refusals in line order, keyset on line. */
export async function listRefusals(manager: EntityManager, batchId: string, query: RefusalsQuery): Promise<CursorPage<RefusalDto>> {
  const params: unknown[] = [batchId];
  let after = '';
  if (query.cursor) {
    const [line] = decodeCursor(query.cursor, 1);
    after = ` AND line > $${params.push(typeof line === 'number' ? line : 0)}`;
  }
  const rows: { line: number; reason: RefusalDto['reason']; field: RefusalDto['field'] | null; first_line: number | null }[] = await manager.query(
    `SELECT line, reason, field, first_line FROM batch_refusal WHERE batch_id = $1${after} ORDER BY line LIMIT $${params.push(query.limit + 1)}`,
    params,
  );
  return toCursorPage(
    rows,
    query.limit,
    (row) => [row.line],
    (row) => {
      const refusal: RefusalDto = { line: row.line, reason: row.reason };
      if (row.field) refusal.field = row.field;
      if (row.first_line !== null) refusal.firstLine = row.first_line;
      return refusal;
    },
  );
}
