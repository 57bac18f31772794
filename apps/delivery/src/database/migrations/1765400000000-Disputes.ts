import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputes about delivered codes.
 * - delivered_code.frozen_at: set while a code is disputed, and for good once it was replaced or
 *   refunded; cleared when the dispute is rejected. A frozen code is never pulled from stock.
 * - delivered_code.replaces_code_id: a replacement's row names the disputed code it stands for.
 * - dispute: one per code, ever (open or resolved); its status moves only by guarded transitions.
 * - dispute_transition: every move, by whom (buyer, supplier, operator, or the vault's or
 *   settlement's answer, with its event id) and when.
 */
export class Disputes1765400000000 implements MigrationInterface {
  name = 'Disputes1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE delivered_code ADD COLUMN frozen_at timestamptz, ADD COLUMN replaces_code_id bigint REFERENCES delivered_code (code_id)`);
    // A frozen (disputed) code is never pulled from stock: the pull's index leaves it out.
    await queryRunner.query(`DROP INDEX delivered_code_stock_available`);
    await queryRunner.query(`
      CREATE INDEX delivered_code_stock_available ON delivered_code (buyer_id, product_id, delivered_at, code_id)
       WHERE destination = 'stock' AND first_revealed_at IS NULL AND frozen_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE dispute (
        id uuid PRIMARY KEY,
        code_id bigint NOT NULL REFERENCES delivered_code (code_id),
        buyer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        order_id uuid NOT NULL,
        line_id uuid NOT NULL,
        product_id uuid NOT NULL,
        offer_id uuid NOT NULL,
        reason text NOT NULL CHECK (reason IN ('code_invalid', 'code_already_redeemed', 'code_not_delivered', 'other')),
        evidence text CHECK (length(evidence) <= 2000),
        attachments jsonb NOT NULL DEFAULT '[]',
        status text NOT NULL CHECK (status IN ('open', 'contested', 'replacing', 'replaced', 'replacement_failed', 'refunding', 'refunded', 'refund_refused', 'rejected')),
        decision text CHECK (decision IN ('replace', 'refund', 'reject')),
        replacement_code_id bigint,
        failure_code text,
        refund_amount bigint,
        refund_currency text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        CHECK ((status = 'replaced') = (replacement_code_id IS NOT NULL)),
        CHECK ((status = 'refunded') = (refund_amount IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX dispute_code ON dispute (code_id)`);
    await queryRunner.query(`CREATE INDEX dispute_buyer ON dispute (buyer_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX dispute_supplier ON dispute (supplier_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX dispute_created ON dispute (created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE dispute_transition (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dispute_id uuid NOT NULL REFERENCES dispute (id),
        from_status text,
        to_status text NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('buyer', 'supplier', 'operator', 'vault', 'settlement')),
        actor_organisation_id uuid,
        actor_principal_id text,
        detail text,
        event_id uuid,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX dispute_transition_dispute ON dispute_transition (dispute_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dispute_transition`);
    await queryRunner.query(`DROP TABLE dispute`);
    await queryRunner.query(`DROP INDEX delivered_code_stock_available`);
    await queryRunner.query(`ALTER TABLE delivered_code DROP COLUMN replaces_code_id, DROP COLUMN frozen_at`);
    await queryRunner.query(`
      CREATE INDEX delivered_code_stock_available ON delivered_code (buyer_id, product_id, delivered_at, code_id)
       WHERE destination = 'stock' AND first_revealed_at IS NULL`);
  }
}
