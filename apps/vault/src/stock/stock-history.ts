import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SERVICE_CONFIG } from '@kami/platform';
import type { VaultConfig } from '../config/vault.config';

export interface StockHistoryPoint {
  at: Date;
  uploaded: number;
  available: number;
  reserved: number;
  sold: number;
  voided: number;
}

interface PointRow {
  recorded_at: Date;
  uploaded: string;
  available: string;
  reserved: string;
  sold: string;
  voided: string;
}

const toPoint = (row: PointRow, at = row.recorded_at): StockHistoryPoint => ({
  at,
  uploaded: Number(row.uploaded),
  available: Number(row.available),
  reserved: Number(row.reserved),
  sold: Number(row.sold),
  voided: Number(row.voided),
});

/**
 * Offers' counts over time (`offer_stock_history`), written by the stock publisher as it
 * publishes: the counts it sends are the ones recorded, one row per offer and bucket of
 * `STOCK_HISTORY_RESOLUTION_SECONDS` holding the bucket's last counts.
 */
@Injectable()
export class StockHistory {
  private readonly resolutionSeconds: number;
  private readonly retentionDays: number;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) config: VaultConfig,
  ) {
    this.resolutionSeconds = config.STOCK_HISTORY_RESOLUTION_SECONDS;
    this.retentionDays = config.STOCK_HISTORY_RETENTION_DAYS;
  }

  get resolution(): number {
    return this.resolutionSeconds;
  }

  /** Records the current counts of these offers in the caller's transaction (which holds their counter rows). */
  async record(manager: EntityManager, offerIds: string[]): Promise<void> {
    if (offerIds.length === 0) return;
    await manager.query(
      `INSERT INTO offer_stock_history AS h (offer_id, bucket_start, recorded_at, uploaded, available, reserved, sold, voided, sequence)
       SELECT offer_id, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), now(), uploaded, available, reserved, sold, voided, sequence
         FROM offer_stock WHERE offer_id = ANY($1::uuid[])
       ON CONFLICT (offer_id, bucket_start) DO UPDATE
          SET recorded_at = EXCLUDED.recorded_at, uploaded = EXCLUDED.uploaded, available = EXCLUDED.available, reserved = EXCLUDED.reserved,
              sold = EXCLUDED.sold, voided = EXCLUDED.voided, sequence = EXCLUDED.sequence
        WHERE h.sequence < EXCLUDED.sequence`,
      [offerIds, this.resolutionSeconds],
    );
  }

  /** Deletes points past the retention, keeping each offer's newest one (its level since then); returns how many. */
  async prune(): Promise<number> {
    const [row]: { deleted: number }[] = await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM offer_stock_history h
          WHERE h.recorded_at < now() - make_interval(days => $1)
            AND EXISTS (SELECT 1 FROM offer_stock_history n WHERE n.offer_id = h.offer_id AND n.bucket_start > h.bucket_start)
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [this.retentionDays],
    );
    return row?.deleted ?? 0;
  }

  /**
   * The offer's counts in [from, to], at most `points` + 1 of them: first the level at `from` (the
   * newest point recorded by then, stamped `from`; none before the first upload), then for each
   * of `points` equal slices of the period the last point recorded in it. Between two points the
   * counts stayed as the first says, to the resolution.
   */
  async points(offerId: string, from: Date, to: Date, points: number): Promise<StockHistoryPoint[]> {
    const sliceMs = (to.getTime() - from.getTime()) / points;
    const [before, inside] = await Promise.all([
      this.dataSource.query(
        `SELECT recorded_at, uploaded, available, reserved, sold, voided FROM offer_stock_history
          WHERE offer_id = $1 AND recorded_at <= $2 ORDER BY recorded_at DESC LIMIT 1`,
        [offerId, from],
      ) as Promise<PointRow[]>,
      this.dataSource.query(
        `SELECT DISTINCT ON (slice) recorded_at, uploaded, available, reserved, sold, voided
           FROM (SELECT *, least($5 - 1, floor(extract(epoch FROM recorded_at - $2::timestamptz) * 1000 / $4)) AS slice
                   FROM offer_stock_history WHERE offer_id = $1 AND recorded_at > $2 AND recorded_at <= $3) s
          ORDER BY slice, recorded_at DESC`,
        [offerId, from, to, sliceMs, points],
      ) as Promise<PointRow[]>,
    ]);
    return [...before.map((row) => toPoint(row, from)), ...inside.map((row) => toPoint(row))];
  }
}
