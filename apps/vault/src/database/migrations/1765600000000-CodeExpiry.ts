import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Codes that expire in stock leave it: the vault voids them itself (`void_cause = 'expired'`),
 * where a supplier's own void is `supplier` (null reads as `supplier`). The index finds codes by
 * expiry for the sweep; it leaves out `status` so that allocation's status changes stay HOT
 * updates (expires_at never changes).
 */
export class CodeExpiry1765600000000 implements MigrationInterface {
  name = 'CodeExpiry1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE code ADD COLUMN void_cause text CHECK (void_cause IN ('supplier', 'expired'))`);
    await q.query(`UPDATE code SET void_cause = 'supplier' WHERE status = 'void'`);
    await q.query(`CREATE INDEX code_expiry_idx ON code (expires_at) WHERE expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS code_expiry_idx`);
    await q.query(`ALTER TABLE code DROP COLUMN IF EXISTS void_cause`);
  }
}
