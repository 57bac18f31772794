import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Codes another supplier already holds (one card sold twice is the strongest fraud signal there is).
 * - duplicate_signal: each uploaded line whose code another supplier's batch already holds, with
 *   who uploaded it and whose it was; for operators only (the uploader's report says
 *   duplicate_in_vault, as for its own duplicates).
 * - batch.status 'held': a batch with more than BATCH_FOREIGN_DUPLICATE_HOLD_SHARE of such lines
 *   waits for an operator (released: completed and on sale; rejected: failed, its codes gone).
 */
export class DuplicateSignals1765750000000 implements MigrationInterface {
  name = 'DuplicateSignals1765750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE batch DROP CONSTRAINT batch_status_check`);
    await q.query(`ALTER TABLE batch ADD CONSTRAINT batch_status_check CHECK (status IN ('receiving', 'held', 'completed', 'failed'))`);
    await q.query(`ALTER TABLE batch ADD COLUMN reviewed_by text, ADD COLUMN reviewed_at timestamptz`);
    await q.query(`
      CREATE TABLE duplicate_signal (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        batch_id uuid NOT NULL REFERENCES batch (id),
        line int NOT NULL,
        supplier_id uuid NOT NULL,
        holder_code_id bigint NOT NULL,
        holder_offer_id uuid NOT NULL,
        holder_supplier_id uuid NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (batch_id, line)
      )`);
    await q.query(`CREATE INDEX duplicate_signal_detected ON duplicate_signal (detected_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE duplicate_signal`);
    await q.query(`ALTER TABLE batch DROP COLUMN reviewed_at, DROP COLUMN reviewed_by`);
    await q.query(`ALTER TABLE batch DROP CONSTRAINT batch_status_check`);
    await q.query(`ALTER TABLE batch ADD CONSTRAINT batch_status_check CHECK (status IN ('receiving', 'completed', 'failed'))`);
  }
}
