import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import { ReservationCore } from '@kami/reservation';
import type { VaultConfig } from '../config/vault.config';
import { OfferStockCache } from './offer-stock-cache';

/**
 * Compares each loaded offer's Redis counts with PostgreSQL's and rebuilds an offer whose Redis
 * drifted (the same difference seen twice in a row, so allocations in flight are not mistaken for
 * drift). Drift never sells a code twice — PostgreSQL guards that — but it can hide stock.
 */
@Injectable()
export class StockReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StockReconciler.name);
  private readonly task: PeriodicTask;
  private readonly suspects = new Map<string, string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly core: ReservationCore,
    private readonly cache: OfferStockCache,
    @Inject(SERVICE_CONFIG) config: VaultConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.STOCK_RECONCILE_INTERVAL_MS,
      run: () => this.reconcile(),
      onError: (error) => this.logger.error({ err: error }, 'stock reconciliation failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Returns the offers it rebuilt. */
  async reconcile(): Promise<string[]> {
    const rows: { offer_id: string; available: string; reserved: string }[] = await this.dataSource.query(
      `SELECT s.offer_id::text, s.available::text,
              (SELECT count(*) FROM reservation r WHERE r.offer_id = s.offer_id AND r.status = 'held')::text AS reserved
         FROM offer_stock s`,
    );
    const rebuilt: string[] = [];
    for (const row of rows) {
      if (!(await this.core.isLoaded(row.offer_id))) continue;
      const [available, held] = await Promise.all([this.core.availableCount(row.offer_id), this.core.heldCount(row.offer_id)]);
      const seen = `${available}/${held} vs ${row.available}/${row.reserved}`;
      if (available === Number(row.available) && held === Number(row.reserved)) {
        this.suspects.delete(row.offer_id);
        continue;
      }
      if (this.suspects.get(row.offer_id) !== seen) {
        this.suspects.set(row.offer_id, seen);
        continue;
      }
      this.logger.warn({ offerId: row.offer_id, redisVsPostgres: seen }, 'Redis drifted from PostgreSQL; rebuilding the offer');
      this.suspects.delete(row.offer_id);
      if (await this.cache.rebuild(row.offer_id, true)) rebuilt.push(row.offer_id);
    }
    return rebuilt;
  }
}
