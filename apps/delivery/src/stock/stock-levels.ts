import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PurchasedStockLow } from '@kami/contracts';
import { decodeCursor, Messaging, toCursorPage, type CursorPage } from '@kami/platform';
import type { StockLevelDto } from './stock.dto';

interface LevelRow {
  product_id: string;
  available: number;
  low_stock_threshold: number | null;
  low_since: Date | null;
  auto_restock: boolean;
}

const toLevel = (row: LevelRow): StockLevelDto => ({
  productId: row.product_id,
  available: row.available,
  lowStockThreshold: row.low_stock_threshold,
  low: row.low_stock_threshold !== null && row.available < row.low_stock_threshold,
  lowSince: row.low_since?.toISOString() ?? null,
  autoRestock: row.auto_restock,
});

/** The unrevealed, undisputed stock codes of a buyer's product: what a pull may still hand out (the partial index delivered_code_stock_available). */
export const AVAILABLE_STOCK = `destination = 'stock' AND first_revealed_at IS NULL AND frozen_at IS NULL`;

/**
 * A merchant's stock levels (counted from the delivery ledger: its 'stock' codes not revealed
 * yet) and its low-stock alarm per product: raised once when a pull leaves fewer codes than the
 * threshold (delivery.stock.low), cleared when the stock is back at or above it.
 */
@Injectable()
export class StockLevels {
  private readonly logger = new Logger(StockLevels.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
  ) {}

  /** The buyer's products with stock, a threshold or a rule, by product id (`low`: only those below their threshold); never another buyer's. */
  async list(buyerId: string, query: { limit: number; cursor?: string; low?: boolean }): Promise<CursorPage<StockLevelDto>> {
    const { limit, cursor } = query;
    const after = cursor === undefined ? null : String(decodeCursor(cursor, 1)[0]);
    const rows: LevelRow[] = await this.dataSource.query(
      `WITH products AS (
         SELECT DISTINCT product_id FROM delivered_code WHERE buyer_id = $1 AND destination = 'stock'
         UNION SELECT product_id FROM stock_setting WHERE buyer_id = $1
         UNION SELECT product_id FROM restock_rule WHERE buyer_id = $1)
       SELECT * FROM (
         SELECT p.product_id::text, s.low_stock_threshold, s.low_since,
                (SELECT count(*)::int FROM delivered_code d WHERE d.buyer_id = $1 AND d.product_id = p.product_id AND ${AVAILABLE_STOCK}) AS available,
                EXISTS (SELECT 1 FROM restock_rule r WHERE r.buyer_id = $1 AND r.product_id = p.product_id) AS auto_restock
           FROM products p LEFT JOIN stock_setting s ON s.buyer_id = $1 AND s.product_id = p.product_id
          WHERE $2::uuid IS NULL OR p.product_id > $2::uuid) l
        WHERE NOT $4 OR l.available < l.low_stock_threshold
        ORDER BY l.product_id LIMIT $3`,
      [buyerId, after, limit + 1, query.low === true],
    );
    return toCursorPage(rows, limit, (r) => [r.product_id], toLevel);
  }

  /** The buyer's stock of one product (zero when it has none: its own stock is simply empty). */
  async get(manager: EntityManager, buyerId: string, productId: string): Promise<StockLevelDto> {
    const rows: LevelRow[] = await manager.query(
      `SELECT $2::text AS product_id, s.low_stock_threshold, s.low_since,
              (SELECT count(*)::int FROM delivered_code d WHERE d.buyer_id = $1 AND d.product_id = $2 AND ${AVAILABLE_STOCK}) AS available,
              EXISTS (SELECT 1 FROM restock_rule r WHERE r.buyer_id = $1 AND r.product_id = $2) AS auto_restock
         FROM (SELECT 1) one LEFT JOIN stock_setting s ON s.buyer_id = $1 AND s.product_id = $2`,
      [buyerId, productId],
    );
    return toLevel(rows[0]!);
  }

  /** Sets the threshold; the alarm is re-read against the current level (cleared when at or above it; raised only by a pull). */
  async setThreshold(buyerId: string, productId: string, threshold: number): Promise<StockLevelDto> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO stock_setting (buyer_id, product_id, low_stock_threshold) VALUES ($1, $2, $3)
         ON CONFLICT (buyer_id, product_id) DO UPDATE SET low_stock_threshold = EXCLUDED.low_stock_threshold, updated_at = now()`,
        [buyerId, productId, threshold],
      );
      await this.rearm(manager, buyerId, [productId]);
      return this.get(manager, buyerId, productId);
    });
  }

  /** How many codes the buyer has of the product, counting no further than `cap` (enough to compare with a threshold, cheap on big stock). */
  async availableUpTo(manager: EntityManager, buyerId: string, productId: string, cap: number): Promise<number> {
    const rows: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND ${AVAILABLE_STOCK} LIMIT $3) s`,
      [buyerId, productId, cap],
    );
    return rows[0]!.n;
  }

  /** Raises the alarm once per crossing: concurrent pulls race on the guarded update, one wins and emits. */
  async raiseIfLow(manager: EntityManager, buyerId: string, productId: string, available: number, threshold: number): Promise<void> {
    if (available >= threshold) return;
    const raised: unknown[] = await manager.query(
      `WITH changed AS (UPDATE stock_setting SET low_since = now() WHERE buyer_id = $1 AND product_id = $2 AND low_since IS NULL RETURNING 1) SELECT * FROM changed`,
      [buyerId, productId],
    );
    if (raised.length === 0) return;
    await this.messaging.outbox.append(manager, PurchasedStockLow, { aggregateId: buyerId, payload: { buyerId, productId, available, threshold } });
    this.logger.log({ buyerId, productId, available, threshold }, 'purchased stock low');
  }

  /** Clears the alarm of products whose stock is back at or above the threshold (a stock order delivered, a threshold changed). */
  async rearm(manager: EntityManager, buyerId: string, productIds: readonly string[]): Promise<void> {
    const raised: { product_id: string; threshold: number }[] = await manager.query(
      `SELECT product_id::text, low_stock_threshold AS threshold FROM stock_setting WHERE buyer_id = $1 AND product_id = ANY($2::uuid[]) AND low_since IS NOT NULL FOR UPDATE`,
      [buyerId, productIds],
    );
    for (const { product_id: productId, threshold } of raised) {
      if ((await this.availableUpTo(manager, buyerId, productId, threshold)) < threshold) continue;
      await manager.query(`UPDATE stock_setting SET low_since = NULL WHERE buyer_id = $1 AND product_id = $2`, [buyerId, productId]);
    }
  }
}
