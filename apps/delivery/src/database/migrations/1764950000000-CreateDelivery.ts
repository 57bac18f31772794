import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery ledger and what it is built from.
 * - delivery_order / delivery_line: what ordering placed (buyer, where the codes go, each line's
 *   product and offer) and whether the vault has sold it; both facts arrive on their own topics.
 * - allocated_line: the code ids the vault sold per line (kept until the order is known).
 * - delivered_code: every code a buyer holds, once (its id is the key): whose, which order line,
 *   where it went (the order's codes, or the buyer's purchased stock) and when and through which
 *   channel it was first revealed.
 */
export class CreateDelivery1764950000000 implements MigrationInterface {
  name = 'CreateDelivery1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE delivery_order (
        order_id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        fulfilment text CHECK (fulfilment IN ('codes', 'stock')),
        placed boolean NOT NULL DEFAULT false,
        allocated boolean NOT NULL DEFAULT false,
        delivered_at timestamptz,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (NOT placed OR fulfilment IS NOT NULL)
      )`);
    await queryRunner.query(`CREATE INDEX delivery_order_buyer ON delivery_order (buyer_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE delivery_line (
        line_id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES delivery_order (order_id),
        position integer NOT NULL,
        product_id uuid NOT NULL,
        offer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0)
      )`);
    await queryRunner.query(`CREATE INDEX delivery_line_order ON delivery_line (order_id)`);
    await queryRunner.query(`
      CREATE TABLE allocated_line (
        line_id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES delivery_order (order_id),
        offer_id uuid NOT NULL,
        code_ids bigint[] NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE delivered_code (
        code_id bigint PRIMARY KEY,
        buyer_id uuid NOT NULL,
        order_id uuid NOT NULL REFERENCES delivery_order (order_id),
        line_id uuid NOT NULL REFERENCES delivery_line (line_id),
        product_id uuid NOT NULL,
        offer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        position integer NOT NULL,
        destination text NOT NULL CHECK (destination IN ('order', 'stock')),
        delivered_at timestamptz NOT NULL DEFAULT now(),
        first_revealed_at timestamptz,
        first_reveal_channel text CHECK (first_reveal_channel IN ('portal', 'api', 'stock_pull', 'webhook')),
        CHECK ((first_revealed_at IS NULL) = (first_reveal_channel IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX delivered_code_order ON delivered_code (order_id, position)`);
    await queryRunner.query(`CREATE INDEX delivered_code_buyer ON delivered_code (buyer_id, product_id) WHERE destination = 'stock'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['delivered_code', 'allocated_line', 'delivery_line', 'delivery_order']) await queryRunner.query(`DROP TABLE ${table}`);
  }
}
