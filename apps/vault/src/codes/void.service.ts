import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger as PinoLogger } from 'pino';
import type { DataSource } from 'typeorm';
import { ROOT_LOGGER, type Identity } from '@kami/platform';
import { OfferStockCache } from '../allocation/offer-stock-cache';
import { StockLedger } from '../stock/stock-ledger';
import { distinctIds, isStorableCodeId } from './code-id';
import { batchNotCompleted, batchNotFound, codesNotFound } from './code.errors';
import type { NotVoidedCodeDto, VoidBatchResultDto, VoidCodesResultDto } from './code.dto';

const principalOf = (identity: Identity): string => `${identity.principalType}:${identity.principalId}`;

/**
 * A supplier takes codes off sale for good: only available codes become void (a guarded
 * transition, so a code an order holds or bought is never touched), each offer's counts move in
 * the same transaction, and Redis drops the codes once PostgreSQL has committed.
 */
@Injectable()
export class VoidService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: StockLedger,
    private readonly cache: OfferStockCache,
    @Inject(ROOT_LOGGER) private readonly logger: PinoLogger,
  ) {}

  async voidCodes(identity: Identity, codeIds: string[], reason?: string): Promise<VoidCodesResultDto> {
    const supplierId = identity.organisationId;
    const ids = distinctIds(codeIds);
    if (!ids.every(isStorableCodeId)) throw codesNotFound();
    // The caller's codes among them (of its offers, in completed batches); any other id: nothing is done.
    const owned: { id: string; offer_id: string }[] = await this.dataSource.query(
      `SELECT c.id::text AS id, c.offer_id
         FROM code c
         JOIN vault_offer o ON o.offer_id = c.offer_id AND o.supplier_id = $2
         JOIN batch b ON b.id = c.batch_id AND b.status = 'completed'
        WHERE c.id = ANY($1::bigint[])`,
      [ids, supplierId],
    );
    if (owned.length !== ids.length) throw codesNotFound();

    const byOffer = new Map<string, string[]>();
    for (const row of owned) byOffer.set(row.offer_id, [...(byOffer.get(row.offer_id) ?? []), row.id]);

    const voided = new Set<string>();
    for (const [offerId, offerCodeIds] of byOffer) {
      const done = await this.dataSource.transaction(async (manager) => {
        // (A CTE, so the driver answers rows as for a SELECT, not TypeORM's [rows, count] of an UPDATE.)
        const rows: { id: string }[] = await manager.query(
          `WITH v AS (
             UPDATE code SET status = 'void', voided_at = now(), void_reason = $3, void_cause = 'supplier'
              WHERE id = ANY($1::bigint[]) AND offer_id = $2 AND status = 'available'
                AND offer_id IN (SELECT offer_id FROM vault_offer WHERE supplier_id = $4)
             RETURNING id)
           SELECT id::text AS id FROM v`,
          [offerCodeIds, offerId, reason ?? null, supplierId],
        );
        if (rows.length > 0) await this.ledger.apply(manager, offerId, supplierId, { available: -rows.length, voided: rows.length });
        return rows.map((r) => r.id);
      });
      done.forEach((id) => voided.add(id));
      if (done.length > 0) await this.dropFromRedis(offerId, done);
    }

    const rest = ids.filter((id) => !voided.has(id));
    const notVoided = rest.length > 0 ? await this.statesOf(rest) : [];
    this.logger.info(
      { audit: 'codes.voided', supplierId, principal: principalOf(identity), requested: ids.length, voided: voided.size, offers: [...byOffer.keys()] },
      'codes voided',
    );
    return { voided: voided.size, notVoided };
  }

  async voidBatch(identity: Identity, batchId: string, reason?: string): Promise<VoidBatchResultDto> {
    const supplierId = identity.organisationId;
    const result = await this.dataSource.transaction(async (manager) => {
      // FOR SHARE: the batch cannot change status while its codes are voided.
      const batches: { offer_id: string; status: string }[] = await manager.query(
        `SELECT b.offer_id, b.status FROM batch b JOIN vault_offer o ON o.offer_id = b.offer_id AND o.supplier_id = $2
          WHERE b.id = $1 AND b.supplier_id = $2 FOR SHARE OF b`,
        [batchId, supplierId],
      );
      const batch = batches[0];
      if (!batch) throw batchNotFound();
      if (batch.status !== 'completed') throw batchNotCompleted(batch.status);
      const [moved] = await manager.query(
        `WITH v AS (
           UPDATE code SET status = 'void', voided_at = now(), void_reason = $2, void_cause = 'supplier'
            WHERE batch_id = $1 AND status = 'available' RETURNING 1)
         SELECT count(*)::int AS n FROM v`,
        [batchId, reason ?? null],
      );
      const n = (moved as { n: number }).n;
      if (n > 0) await this.ledger.apply(manager, batch.offer_id, supplierId, { available: -n, voided: n });
      const [counts] = await manager.query(
        `SELECT count(*) FILTER (WHERE c.status = 'void')::int AS void,
                count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'committed')::int AS sold,
                count(*) FILTER (WHERE c.status = 'allocated' AND r.status IS DISTINCT FROM 'committed')::int AS reserved
           FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
          WHERE c.batch_id = $1`,
        [batchId],
      );
      const c = counts as { void: number; sold: number; reserved: number };
      return { offerId: batch.offer_id, voided: n, unaffected: { reserved: c.reserved, sold: c.sold, void: c.void - n } };
    });
    if (result.voided > 0) await this.rebuildRedis(result.offerId);
    this.logger.info(
      { audit: 'batch.voided', supplierId, principal: principalOf(identity), batchId, offerId: result.offerId, voided: result.voided },
      'batch voided',
    );
    return { batchId, ...result };
  }

  /** Why each code was not voided: held by an order, sold, or void already. */
  private async statesOf(ids: string[]): Promise<NotVoidedCodeDto[]> {
    const rows: { id: string; status: string; reservation_status: string | null }[] = await this.dataSource.query(
      `SELECT c.id::text AS id, c.status, r.status AS reservation_status
         FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
        WHERE c.id = ANY($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((codeId) => {
      const row = byId.get(codeId);
      if (row?.status === 'void') return { codeId, status: 'void' as const };
      if (row?.status === 'allocated' && row.reservation_status === 'committed') return { codeId, status: 'sold' as const };
      // Held by an order when the void was tried (it may have been released since).
      return { codeId, status: 'reserved' as const };
    });
  }

  /** PostgreSQL has refused these codes to allocation already; Redis catches up (the reconciler repairs a miss). */
  private async dropFromRedis(offerId: string, codeIds: string[]): Promise<void> {
    try {
      await this.cache.dropCodes(offerId, codeIds);
    } catch (error) {
      this.logger.warn({ err: error, offerId, count: codeIds.length }, 'could not drop voided codes from Redis; the stock reconciler will');
    }
  }

  /**
   * A whole batch may be a million codes: rather than removing them one by one, the offer is
   * rebuilt from PostgreSQL, forced (a plain rebuild leaves a loaded offer as it is).
   */
  private async rebuildRedis(offerId: string): Promise<void> {
    try {
      await this.cache.rebuild(offerId, true);
    } catch (error) {
      this.logger.warn({ err: error, offerId }, 'could not rebuild the offer in Redis after a batch void; the stock reconciler will');
    }
  }
}
