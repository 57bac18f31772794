import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { VaultConfig } from '../config/vault.config';
import { StockLedger, type StockChange } from '../stock/stock-ledger';
import { OfferStockCache } from './offer-stock-cache';

const SWEEP_BATCH = 1_000;
/**
 * Each sweep looks back this far behind the previous one (a code locked by a reservation in flight
 * when it expired is seen again); the first sweep of a process looks at every expiry.
 */
const LOOKBACK_MS = 60 * 60 * 1000;

/**
 * Codes that expire in stock leave it: available codes past their `expiresAt` become void with
 * `void_cause = 'expired'` (the supplier sees it on the batch and in the code's history), the
 * offer's counts move in the same transaction (uploaded = available + reserved + sold + void), and
 * Redis drops them afterwards. Runs with the reservation expiry (RESERVATION_EXPIRY_INTERVAL_MS).
 * Selling is guarded on its own: PostgreSQL refuses an expired code at reservation and at sale,
 * so a code that expires between two sweeps is never sold either.
 */
@Injectable()
export class CodeExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CodeExpiry.name);
  private readonly task: PeriodicTask;
  /** Up to when every expiry has been swept (null: not yet in this process). */
  private sweptUntil: Date | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: StockLedger,
    private readonly cache: OfferStockCache,
    @Inject(SERVICE_CONFIG) config: VaultConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.RESERVATION_EXPIRY_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.error({ err: error }, 'expired code sweep failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Takes every available code past its expiry at `now` out of stock; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const since = this.sweptUntil ? new Date(this.sweptUntil.getTime() - LOOKBACK_MS) : null;
    const voided = await this.voidExpired(now, since, null);
    if (this.sweptUntil === null || now > this.sweptUntil) this.sweptUntil = now;
    if (voided > 0) this.logger.log({ voided }, 'codes expired in stock were voided');
    return voided;
  }

  /** The same for some offers only, whatever their expiry (the allocator calls it when PostgreSQL refused codes Redis offered). */
  async sweepOffers(offerIds: string[], now = new Date()): Promise<number> {
    let voided = 0;
    for (const offerId of new Set(offerIds)) voided += await this.voidExpired(now, null, offerId);
    return voided;
  }

  private async voidExpired(now: Date, since: Date | null, offerId: string | null): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.dataSource.transaction(async (manager) => {
        // Codes of completed batches only (the others are not in stock). SKIP LOCKED: a code a
        // reservation is taking right now is left to the guard, and to the next sweep.
        const rows: { id: string; offer_id: string; supplier_id: string }[] = await manager.query(
          `WITH due AS (
             SELECT c.id FROM code c JOIN batch b ON b.id = c.batch_id AND b.status = 'completed'
              WHERE c.expires_at <= $1 AND ($2::timestamptz IS NULL OR c.expires_at > $2) AND ($3::uuid IS NULL OR c.offer_id = $3)
                AND c.status = 'available'
              ORDER BY c.expires_at
              LIMIT ${SWEEP_BATCH}
              FOR UPDATE OF c SKIP LOCKED),
           v AS (
             UPDATE code c SET status = 'void', voided_at = now(), void_cause = 'expired'
               FROM due WHERE c.id = due.id AND c.status = 'available'
             RETURNING c.id, c.offer_id)
           SELECT v.id::text AS id, v.offer_id::text AS offer_id, s.supplier_id::text AS supplier_id
             FROM v JOIN offer_stock s ON s.offer_id = v.offer_id`,
          [now, since, offerId],
        );
        const byOffer = new Map<string, { supplierId: string; ids: string[] }>();
        for (const row of rows) {
          const entry = byOffer.get(row.offer_id) ?? { supplierId: row.supplier_id, ids: [] };
          entry.ids.push(row.id);
          byOffer.set(row.offer_id, entry);
        }
        const changes: StockChange[] = [...byOffer].map(([id, { supplierId, ids }]) => ({ offerId: id, supplierId, delta: { available: -ids.length, voided: ids.length } }));
        await this.ledger.applyMany(manager, changes);
        return { count: rows.length, byOffer };
      });
      for (const [id, { ids }] of done.byOffer) await this.dropFromRedis(id, ids);
      total += done.count;
      if (done.count < SWEEP_BATCH) return total;
    }
  }

  private async dropFromRedis(offerId: string, codeIds: string[]): Promise<void> {
    try {
      await this.cache.dropCodes(offerId, codeIds);
    } catch (error) {
      this.logger.warn({ err: error, offerId, count: codeIds.length }, 'could not drop expired codes from Redis; the stock reconciler will');
    }
  }
}
