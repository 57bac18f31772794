import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supplier deposits (保证金): a top-up is for a merchant's wallet or a supplier's deposit, and
 * each supplier's deposit status as last published to the catalog (balance against the minimum
 * of that moment, with its own sequence so a changed minimum can be re-published as newer).
 */
export class SupplierDeposits1764600000000 implements MigrationInterface {
  name = 'SupplierDeposits1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE topup ADD COLUMN purpose text NOT NULL DEFAULT 'wallet' CHECK (purpose IN ('wallet', 'deposit'))`);
    await q.query(`
      CREATE TABLE supplier_deposit_status (
        supplier_id uuid NOT NULL,
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        balance bigint NOT NULL CHECK (balance >= 0),
        minimum bigint NOT NULL CHECK (minimum >= 0),
        covered boolean NOT NULL,
        -- grows by one with every status published (settlement.deposit.status_changed carries it)
        sequence bigint NOT NULL CHECK (sequence >= 1),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (supplier_id, currency)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS supplier_deposit_status`);
    await q.query(`ALTER TABLE topup DROP COLUMN IF EXISTS purpose`);
  }
}
