import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Codes the buyer no longer holds.
 * - delivered_code.withdrawn_at / withdrawn_reason / withdrawn_ref: set once a code was refunded
 *   (a dispute's refund or an operator's refund of its line; the ref is the dispute or the refund)
 *   or replaced (the ref is the dispute). A withdrawn code is frozen too, and never revealed again.
 * - A replacement takes the position of the code it replaces (it used to follow the order's
 *   others), so at most one code the buyer holds sits at each position of an order.
 */
export class WithdrawnCodes1765500000000 implements MigrationInterface {
  name = 'WithdrawnCodes1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE delivered_code
        ADD COLUMN withdrawn_at timestamptz,
        ADD COLUMN withdrawn_reason text CHECK (withdrawn_reason IN ('refunded', 'replaced')),
        ADD COLUMN withdrawn_ref uuid,
        ADD CONSTRAINT delivered_code_withdrawn CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL))`);
    // Disputes already refunded or replaced before this migration.
    await queryRunner.query(`
      UPDATE delivered_code c SET withdrawn_at = coalesce(d.resolved_at, now()), withdrawn_reason = d.status, withdrawn_ref = d.id,
             frozen_at = coalesce(c.frozen_at, now())
        FROM dispute d WHERE d.code_id = c.code_id AND d.status IN ('refunded', 'replaced')`);
    // Replacements (of replacements) move to the position of the code they stand for.
    await queryRunner.query(`
      WITH RECURSIVE chain AS (
        SELECT code_id, position FROM delivered_code WHERE replaces_code_id IS NULL
        UNION ALL
        SELECT c.code_id, chain.position FROM delivered_code c JOIN chain ON c.replaces_code_id = chain.code_id)
      UPDATE delivered_code d SET position = chain.position FROM chain WHERE d.code_id = chain.code_id AND d.position <> chain.position`);
    await queryRunner.query(`CREATE UNIQUE INDEX delivered_code_held_position ON delivered_code (order_id, position) WHERE withdrawn_at IS NULL`);
    await queryRunner.query(`CREATE INDEX delivered_code_line ON delivered_code (line_id) WHERE withdrawn_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX delivered_code_line`);
    await queryRunner.query(`DROP INDEX delivered_code_held_position`);
    // Replacements keep their original's position: positions need not be unique without the index.
    await queryRunner.query(`ALTER TABLE delivered_code DROP CONSTRAINT delivered_code_withdrawn, DROP COLUMN withdrawn_ref, DROP COLUMN withdrawn_reason, DROP COLUMN withdrawn_at`);
  }
}
