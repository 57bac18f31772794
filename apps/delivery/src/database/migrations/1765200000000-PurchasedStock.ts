import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchants' purchased stock: the codes are the ledger's (delivered_code rows with destination
 * 'stock' not yet revealed); these tables hold what is around them.
 * - delivered_code_stock_available: the unrevealed stock of a buyer's product, oldest first, so a
 *   pull claims the next code and a level is counted from the index alone.
 * - stock_pull: one row per (buyer, Idempotency-Key), written in the transaction that claims the
 *   code: the code it got, or none (the stock was exhausted, and stays the answer for that key).
 * - stock_setting: a buyer's low-stock threshold per product, and since when the alarm is raised.
 * - restock_rule / restock_request: auto-restock per product, and each order it asked ordering
 *   for; at most one request of a buyer's product in flight at a time (a partial unique index).
 */
export class PurchasedStock1765200000000 implements MigrationInterface {
  name = 'PurchasedStock1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX delivered_code_stock_available ON delivered_code (buyer_id, product_id, delivered_at, code_id)
       WHERE destination = 'stock' AND first_revealed_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE stock_pull (
        buyer_id uuid NOT NULL,
        idempotency_key text NOT NULL,
        product_id uuid NOT NULL,
        code_id bigint REFERENCES delivered_code (code_id),
        actor text NOT NULL,
        pulled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (buyer_id, idempotency_key)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX stock_pull_code ON stock_pull (code_id) WHERE code_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE stock_setting (
        buyer_id uuid NOT NULL,
        product_id uuid NOT NULL,
        low_stock_threshold integer NOT NULL CHECK (low_stock_threshold >= 0),
        low_since timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (buyer_id, product_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE restock_rule (
        buyer_id uuid NOT NULL,
        product_id uuid NOT NULL,
        below_quantity integer NOT NULL CHECK (below_quantity > 0),
        order_quantity integer NOT NULL CHECK (order_quantity > 0),
        max_unit_price bigint NOT NULL CHECK (max_unit_price >= 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (buyer_id, product_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE restock_request (
        request_id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        product_id uuid NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        max_unit_price bigint NOT NULL CHECK (max_unit_price >= 0),
        status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'placed', 'refused', 'delivered', 'cancelled', 'expired')),
        order_id uuid,
        refusal_code text,
        refusal_detail text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX restock_request_in_flight ON restock_request (buyer_id, product_id) WHERE status IN ('requested', 'placed')`);
    await queryRunner.query(`CREATE INDEX restock_request_order ON restock_request (order_id) WHERE order_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX restock_request_product ON restock_request (buyer_id, product_id, requested_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['restock_request', 'restock_rule', 'stock_setting', 'stock_pull']) await queryRunner.query(`DROP TABLE ${table}`);
    await queryRunner.query(`DROP INDEX delivered_code_stock_available`);
  }
}
