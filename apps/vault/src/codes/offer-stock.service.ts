import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Identity } from '@kami/platform';
import { StockHistory } from '../stock/stock-history';
import { invalidPeriod, offerNotFound } from './code.errors';
import { DEFAULT_STOCK_HISTORY_DAYS, MAX_STOCK_HISTORY_DAYS, type OfferStockLevelsDto, type StockHistoryDto, type StockHistoryQueryDto } from './code.dto';

const DAY_MS = 86_400_000;

/** An offer's stock is its supplier's and operators' to see; anyone else gets the same 404 as for no offer at all. */
function assertMaySee(identity: Identity, supplierId: string | undefined): void {
  if (supplierId === undefined || (identity.organisationType !== 'operator' && supplierId !== identity.organisationId)) throw offerNotFound();
}

/** An offer's code counts as PostgreSQL holds them, now and over time, for its supplier and for operators. */
@Injectable()
export class OfferStockService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stockHistory: StockHistory,
  ) {}

  async history(identity: Identity, offerId: string, query: StockHistoryQueryDto): Promise<StockHistoryDto> {
    await this.ownedOffer(identity, offerId);
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_STOCK_HISTORY_DAYS * DAY_MS);
    if (!(from < to)) throw invalidPeriod('from must be before to.');
    if (to.getTime() - from.getTime() > MAX_STOCK_HISTORY_DAYS * DAY_MS) throw invalidPeriod(`A stock history covers at most ${MAX_STOCK_HISTORY_DAYS} days.`);
    const points = await this.stockHistory.points(offerId, from, to, query.points);
    return {
      offerId,
      from: from.toISOString(),
      to: to.toISOString(),
      resolutionSeconds: this.stockHistory.resolution,
      points: points.map((p) => ({ at: p.at.toISOString(), uploaded: p.uploaded, available: p.available, reserved: p.reserved, sold: p.sold, void: p.voided })),
    };
  }

  async levels(identity: Identity, offerId: string): Promise<OfferStockLevelsDto> {
    const rows: {
      supplier_id: string;
      uploaded: string | null;
      available: string | null;
      reserved: string | null;
      sold: string | null;
      voided: string | null;
      updated_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT o.supplier_id, s.uploaded, s.available, s.reserved, s.sold, s.voided, s.updated_at
         FROM vault_offer o LEFT JOIN offer_stock s ON s.offer_id = o.offer_id
        WHERE o.offer_id = $1`,
      [offerId],
    );
    const row = rows[0];
    assertMaySee(identity, row?.supplier_id);
    return {
      offerId,
      uploaded: Number(row.uploaded ?? 0),
      available: Number(row.available ?? 0),
      reserved: Number(row.reserved ?? 0),
      sold: Number(row.sold ?? 0),
      void: Number(row.voided ?? 0),
      updatedAt: row.updated_at ? row.updated_at.toISOString() : null,
    };
  }

  private async ownedOffer(identity: Identity, offerId: string): Promise<void> {
    const [row]: { supplier_id: string }[] = await this.dataSource.query(`SELECT supplier_id FROM vault_offer WHERE offer_id = $1`, [offerId]);
    assertMaySee(identity, row?.supplier_id);
  }
}
