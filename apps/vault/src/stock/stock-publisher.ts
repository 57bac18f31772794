import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StockChanged, StockLow } from '@kami/contracts';
import { Messaging, PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { VaultConfig } from '../config/vault.config';
import { StockHistory } from './stock-history';

const BATCH = 500;
/** How often stock history past its retention is pruned. */
const PRUNE_EVERY_MS = 3_600_000;

interface PendingRow {
  offer_id: string;
  supplier_id: string;
  available: string;
  reserved: string;
  sold: string;
  voided: string;
  sequence: string;
  low_stock_alerted: boolean;
  low_stock_threshold: number | null;
}

/**
 * Publishes offers' counts as `vault.stock.changed` (absolute counts with the offer's sequence),
 * coalescing the changes of a busy offer into one event per interval so allocation never writes
 * events per code. Also raises `vault.stock.low` when available stock falls to the offer's
 * threshold — once per crossing, re-armed only when stock rises above it again. The counts it
 * publishes are also recorded as the offers' stock history, in the same transaction.
 */
@Injectable()
export class StockPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StockPublisher.name);
  private readonly task: PeriodicTask;
  private prunedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly history: StockHistory,
    @Inject(SERVICE_CONFIG) config: VaultConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.STOCK_EVENT_INTERVAL_MS,
      run: async () => {
        await this.publish();
        if (Date.now() - this.prunedAt >= PRUNE_EVERY_MS) {
          this.prunedAt = Date.now();
          // Its own failure, not the events': publishing went through; pruning tries again next hour.
          await this.history.prune().catch((error: unknown) => this.logger.error({ err: error }, 'pruning stock history failed'));
        }
      },
      onError: (error) => this.logger.error({ err: error }, 'publishing stock changes failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
    // What changed since the last tick goes out before the relay stops.
    await this.publish().catch(() => undefined);
  }

  /** Writes events for every offer whose counts changed since they were last published; returns how many. */
  async publish(): Promise<number> {
    // Most ticks find nothing: one read then, not a transaction's three round trips.
    const pending: unknown[] = await this.dataSource.query(`SELECT 1 FROM offer_stock WHERE sequence > published_sequence LIMIT 1`);
    if (pending.length === 0) return 0;
    let published = 0;
    for (;;) {
      // The events go out as soon as the batch commits, not at the relay's next pass.
      const count = await this.messaging.transaction(async (manager) => {
        // SKIP LOCKED: an offer whose counters a transaction is moving right now is published next time.
        const rows: PendingRow[] = await manager.query(
          `SELECT s.offer_id::text AS offer_id, s.supplier_id::text AS supplier_id, s.available, s.reserved, s.sold, s.voided, s.sequence,
                  s.low_stock_alerted, o.low_stock_threshold
             FROM offer_stock s LEFT JOIN vault_offer o ON o.offer_id = s.offer_id
            WHERE s.sequence > s.published_sequence
            ORDER BY s.offer_id
            LIMIT ${BATCH}
            FOR UPDATE OF s SKIP LOCKED`,
        );
        for (const row of rows) {
          const available = Number(row.available);
          await this.messaging.outbox.append(manager, StockChanged, {
            aggregateId: row.offer_id,
            payload: {
              offerId: row.offer_id,
              supplierId: row.supplier_id,
              sequence: Number(row.sequence),
              available,
              reserved: Number(row.reserved),
              sold: Number(row.sold),
              voided: Number(row.voided),
            },
          });
          const threshold = row.low_stock_threshold ?? 0;
          const low = threshold > 0 && available <= threshold;
          if (low && !row.low_stock_alerted) {
            await this.messaging.outbox.append(manager, StockLow, {
              aggregateId: row.offer_id,
              payload: { offerId: row.offer_id, supplierId: row.supplier_id, available, threshold },
            });
          }
          await manager.query(`UPDATE offer_stock SET published_sequence = $2, low_stock_alerted = $3 WHERE offer_id = $1`, [row.offer_id, row.sequence, low]);
        }
        await this.history.record(
          manager,
          rows.map((row) => row.offer_id),
        );
        return rows.length;
      });
      published += count;
      if (count < BATCH) break;
    }
    return published;
  }
}
