import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Organisations, their users and API keys. */
export class CreateIdentity1763700100000 implements MigrationInterface {
  name = 'CreateIdentity1763700100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organisation (
        id               uuid         PRIMARY KEY,
        name             text         NOT NULL,
        type             text         NOT NULL CHECK (type IN ('supplier', 'merchant', 'operator')),
        supplier_profile jsonb        NULL,
        created_at       timestamptz  NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE app_user (
        id              uuid         PRIMARY KEY,
        organisation_id uuid         NOT NULL REFERENCES organisation (id),
        email           text         NOT NULL,
        password_hash   text         NOT NULL,
        roles           text[]       NOT NULL,
        created_at      timestamptz  NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_APP_USER_EMAIL" ON app_user (lower(email))`);
    await queryRunner.query(`CREATE INDEX "IDX_APP_USER_ORGANISATION_ID" ON app_user (organisation_id)`);
    await queryRunner.query(`
      CREATE TABLE api_key (
        id              uuid         PRIMARY KEY,
        organisation_id uuid         NOT NULL REFERENCES organisation (id),
        name            text         NOT NULL,
        prefix          text         NOT NULL,
        secret_hash     text         NOT NULL,
        roles           text[]       NOT NULL,
        created_by      uuid         NULL REFERENCES app_user (id),
        created_at      timestamptz  NOT NULL DEFAULT now(),
        last_used_at    timestamptz  NULL,
        revoked_at      timestamptz  NULL,
        CONSTRAINT "UQ_API_KEY_PREFIX" UNIQUE (prefix)
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_API_KEY_ORGANISATION_ID" ON api_key (organisation_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_key`);
    await queryRunner.query(`DROP TABLE app_user`);
    await queryRunner.query(`DROP TABLE organisation`);
  }
}
