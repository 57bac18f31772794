import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key records (libs/platform/src/idempotency): one row per key, scoped to the
 * caller's organisation and the route, holding the request's fingerprint, whether the first
 * request is still running (and until when its claim holds), and then the response to replay.
 * Every service runs this migration in its own database, so stored responses never leave it.
 */
export class CreateIdempotencyKeys1763700050000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1763700050000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE platform_idempotency (
        organisation_id  text         NOT NULL,
        route            text         NOT NULL,
        idempotency_key  text         NOT NULL,
        fingerprint      text         NOT NULL,
        state            text         NOT NULL,
        lock_token       uuid         NULL,
        response_status  smallint     NULL,
        response_body    jsonb        NULL,
        created_at       timestamptz  NOT NULL DEFAULT now(),
        locked_until     timestamptz  NULL,
        completed_at     timestamptz  NULL,
        expires_at       timestamptz  NOT NULL,
        CONSTRAINT "PK_PLATFORM_IDEMPOTENCY" PRIMARY KEY (organisation_id, route, idempotency_key),
        CONSTRAINT "CHK_PLATFORM_IDEMPOTENCY_STATE" CHECK (
          (state = 'in_progress' AND lock_token IS NOT NULL AND locked_until IS NOT NULL AND response_status IS NULL)
          OR (state = 'completed' AND response_status IS NOT NULL AND completed_at IS NOT NULL)
        )
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_PLATFORM_IDEMPOTENCY_EXPIRES_AT" ON platform_idempotency (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE platform_idempotency`);
  }
}
