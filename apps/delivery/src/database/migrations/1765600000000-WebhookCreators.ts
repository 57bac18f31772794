import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who created each webhook endpoint (a portal user or an API key), so that an endpoint stops when
 * its creator loses access. Endpoints made before this was recorded have no creator.
 */
export class WebhookCreators1765600000000 implements MigrationInterface {
  name = 'WebhookCreators1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_endpoint ADD COLUMN created_by_type text CHECK (created_by_type IN ('user', 'api_key')), ADD COLUMN created_by_id uuid`);
    await queryRunner.query(`CREATE INDEX webhook_endpoint_creator_idx ON webhook_endpoint (created_by_id) WHERE created_by_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_endpoint DROP COLUMN created_by_type, DROP COLUMN created_by_id`);
  }
}
