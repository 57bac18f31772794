import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputed codes replaced from stock: one row per dispute (the dispute id is also the id of the
 * reservation that sold the replacement). `failed` rows may be retried (more stock uploaded); an
 * `allocated` one is final, and a code is replaced at most once (the partial unique index).
 */
export class CodeReplacements1765400000000 implements MigrationInterface {
  name = 'CodeReplacements1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE code_replacement (
        dispute_id uuid PRIMARY KEY,
        original_code_id bigint NOT NULL,
        offer_id uuid NOT NULL,
        buyer_id uuid NOT NULL,
        order_id uuid NOT NULL,
        line_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('allocated', 'failed')),
        reason text,
        code_id bigint,
        attempts integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'allocated') = (code_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX code_replacement_original ON code_replacement (original_code_id) WHERE status = 'allocated'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE code_replacement`);
  }
}
