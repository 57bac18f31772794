import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (events written with the state change, published by the relay)
 * and the inbox (event ids a consumer has applied, recorded with the effect). Every service
 * runs this migration in its own database.
 */
export class CreateOutboxAndInbox1763700000000 implements MigrationInterface {
  name = 'CreateOutboxAndInbox1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE platform_outbox (
        seq          bigserial    PRIMARY KEY,
        event_id     uuid         NOT NULL,
        topic        text         NOT NULL,
        message_key  text         NOT NULL,
        event_type   text         NOT NULL,
        envelope     jsonb        NOT NULL,
        created_at   timestamptz  NOT NULL DEFAULT now(),
        published_at timestamptz  NULL,
        CONSTRAINT "UQ_PLATFORM_OUTBOX_EVENT_ID" UNIQUE (event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_PLATFORM_OUTBOX_UNPUBLISHED" ON platform_outbox (seq) WHERE published_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE platform_inbox (
        event_id    uuid         NOT NULL,
        consumer    text         NOT NULL,
        event_type  text         NOT NULL,
        handled_at  timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT "PK_PLATFORM_INBOX" PRIMARY KEY (event_id, consumer)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE platform_inbox`);
    await queryRunner.query(`DROP TABLE platform_outbox`);
  }
}
