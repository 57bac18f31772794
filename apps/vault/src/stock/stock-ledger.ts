import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { StockChanged, StockLow } from '@kami/contracts';
import { Messaging } from '@kami/platform';

/** Changes to an offer's counts; each code moves from one count to another (uploads add to `uploaded` and `available`). */
export interface StockDelta {
  uploaded?: number;
  available?: number;
  reserved?: number;
  sold?: number;
  voided?: number;
}

export interface OfferStock {
  offerId: string;
  supplierId: string;
  uploaded: number;
  available: number;
  reserved: number;
  sold: number;
  voided: number;
  sequence: number;
}

interface OfferStockRow {
  offer_id: string;
  supplier_id: string;
  uploaded: string;
  available: string;
  reserved: string;
  sold: string;
  voided: string;
  sequence: string;
  low_stock_alerted: boolean;
  low_stock_threshold: number | null;
}

const toStock = (r: OfferStockRow): OfferStock => ({
  offerId: r.offer_id,
  supplierId: r.supplier_id,
  uploaded: Number(r.uploaded),
  available: Number(r.available),
  reserved: Number(r.reserved),
  sold: Number(r.sold),
  voided: Number(r.voided),
  sequence: Number(r.sequence),
});

/**
 * Each offer's code counts, moved in the same transaction as the codes they count (the row's
 * CHECK makes PostgreSQL refuse any change that would lose a code). Every change publishes the
 * absolute counts with a per-offer sequence, and a low-stock alert when available stock falls to
 * the offer's threshold — once, re-armed only when stock rises above it again.
 */
@Injectable()
export class StockLedger {
  constructor(private readonly messaging: Messaging) {}

  async apply(manager: EntityManager, offerId: string, supplierId: string, delta: StockDelta): Promise<OfferStock> {
    const d = (n?: number): number => n ?? 0;
    const counts = [d(delta.uploaded), d(delta.available), d(delta.reserved), d(delta.sold), d(delta.voided)];
    // Update first: a CHECK applies to a proposed INSERT row too, so a negative delta cannot go through an upsert.
    const move = (): Promise<OfferStockRow[]> =>
      manager.query(
        `WITH moved AS (
           UPDATE offer_stock s SET uploaded = s.uploaded + $2, available = s.available + $3, reserved = s.reserved + $4,
                  sold = s.sold + $5, voided = s.voided + $6, sequence = s.sequence + 1, updated_at = now()
            WHERE s.offer_id = $1
            RETURNING s.*)
         SELECT moved.*, o.low_stock_threshold FROM moved LEFT JOIN vault_offer o ON o.offer_id = moved.offer_id`,
        [offerId, ...counts],
      );
    let rows = await move();
    if (rows.length === 0) {
      await manager.query(
        `INSERT INTO offer_stock (offer_id, supplier_id, sequence) VALUES ($1, $2, 0) ON CONFLICT (offer_id) DO NOTHING`,
        [offerId, supplierId],
      );
      rows = await move();
    }
    const row = rows[0]!;
    const stock = toStock(row);
    await this.messaging.outbox.append(manager, StockChanged, {
      aggregateId: offerId,
      payload: { offerId, supplierId: stock.supplierId, sequence: stock.sequence, available: stock.available, reserved: stock.reserved, sold: stock.sold, voided: stock.voided },
    });
    await this.checkLowStock(manager, row, stock);
    return stock;
  }

  private async checkLowStock(manager: EntityManager, row: OfferStockRow, stock: OfferStock): Promise<void> {
    const threshold = row.low_stock_threshold;
    if (threshold === null || threshold <= 0) return;
    const low = stock.available <= threshold;
    if (low === row.low_stock_alerted) return;
    await manager.query(`UPDATE offer_stock SET low_stock_alerted = $2 WHERE offer_id = $1`, [stock.offerId, low]);
    if (low) {
      await this.messaging.outbox.append(manager, StockLow, {
        aggregateId: stock.offerId,
        payload: { offerId: stock.offerId, supplierId: stock.supplierId, available: stock.available, threshold },
      });
    }
  }

  async get(manager: EntityManager, offerId: string): Promise<OfferStock | null> {
    const rows: OfferStockRow[] = await manager.query(`SELECT s.*, NULL AS low_stock_threshold FROM offer_stock s WHERE offer_id = $1`, [offerId]);
    return rows[0] ? toStock(rows[0]) : null;
  }
}
