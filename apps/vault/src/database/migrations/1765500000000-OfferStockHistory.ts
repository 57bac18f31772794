import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each offer's counts over time, for the supplier's stock chart. The stock publisher writes one
 * row per offer and time bucket (`STOCK_HISTORY_RESOLUTION_SECONDS`), keeping the bucket's last
 * counts, so a busy offer costs a row per bucket, not one per sale. `recorded_at` is when those
 * counts were read. Rows older than `STOCK_HISTORY_RETENTION_DAYS` are pruned, except each offer's
 * newest, which still tells the level since then.
 */
export class OfferStockHistory1765500000000 implements MigrationInterface {
  name = 'OfferStockHistory1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE offer_stock_history (
        offer_id uuid NOT NULL,
        bucket_start timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        uploaded bigint NOT NULL,
        available bigint NOT NULL,
        reserved bigint NOT NULL,
        sold bigint NOT NULL,
        voided bigint NOT NULL,
        sequence bigint NOT NULL,
        PRIMARY KEY (offer_id, bucket_start)
      )`);
    await q.query(`CREATE INDEX offer_stock_history_recorded_idx ON offer_stock_history (offer_id, recorded_at)`);
    // Offers stocked before the history existed start from their current counts.
    await q.query(`
      INSERT INTO offer_stock_history (offer_id, bucket_start, recorded_at, uploaded, available, reserved, sold, voided, sequence)
      SELECT offer_id, updated_at, updated_at, uploaded, available, reserved, sold, voided, sequence FROM offer_stock`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE offer_stock_history`);
  }
}
