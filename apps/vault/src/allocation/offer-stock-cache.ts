import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReservationCore, type OfferSnapshot } from '@kami/reservation';

const PUBLISH_CHUNK = 50_000;

/**
 * Keeps an offer's Redis state in step with PostgreSQL outside allocation: codes of a completed
 * batch become available, voided codes leave, and `rebuild` restores an offer from the truth.
 */
@Injectable()
export class OfferStockCache {
  constructor(
    private readonly core: ReservationCore,
    private readonly dataSource: DataSource,
  ) {}

  /** After a batch's completion committed: its codes join the offer's available list (when Redis holds the offer; a rebuild reads them otherwise). */
  async publishBatch(offerId: string, batchId: string): Promise<void> {
    if (!(await this.core.isLoaded(offerId))) return;
    let after = '0';
    for (;;) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT c.id::text AS id FROM code c WHERE c.batch_id = $1 AND c.status = 'available' AND c.id > $2 ORDER BY c.id LIMIT ${PUBLISH_CHUNK}`,
        [batchId, after],
      );
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.id);
      if (!(await this.core.addAvailable(offerId, ids))) return;
      after = ids[ids.length - 1]!;
    }
  }

  /** After a void committed: the codes leave the available list (PostgreSQL would refuse them anyway). */
  async dropCodes(offerId: string, codeIds: string[]): Promise<void> {
    if (codeIds.length > 0) await this.core.removeAvailable(offerId, codeIds);
  }

  /** Loads the offer into Redis from PostgreSQL when Redis does not hold it (or always, with `force`: drift repair). */
  rebuild(offerId: string, force = false): Promise<boolean> {
    return this.core.rebuild(offerId, () => this.snapshot(offerId), { force });
  }

  /** The offer as PostgreSQL has it: available codes of completed batches (soonest expiry first) and held reservations. */
  async snapshot(offerId: string): Promise<OfferSnapshot> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const available: { id: string }[] = await manager.query(
        `SELECT c.id::text AS id FROM code c JOIN batch b ON b.id = c.batch_id AND b.status = 'completed'
          WHERE c.offer_id = $1 AND c.status = 'available'
          ORDER BY c.expires_at NULLS LAST, c.id`,
        [offerId],
      );
      const held: { id: string; code_ids: string[]; expires_at: Date }[] = await manager.query(
        `SELECT id, code_ids::text[] AS code_ids, expires_at FROM reservation WHERE offer_id = $1 AND status = 'held'`,
        [offerId],
      );
      return {
        available: available.map((r) => r.id),
        held: held.map((r) => ({ reservationId: r.id, codeIds: r.code_ids, expiresAtMs: r.expires_at.getTime() })),
      };
    });
  }
}
