import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Identity } from '@kami/platform';
import { offerNotFound } from './code.errors';
import type { OfferStockLevelsDto } from './code.dto';

/** An offer's code counts as PostgreSQL holds them, for its supplier and for operators. */
@Injectable()
export class OfferStockService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
    if (!row || (identity.organisationType !== 'operator' && row.supplier_id !== identity.organisationId)) throw offerNotFound();
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
}
