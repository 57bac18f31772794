import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys carry scopes. Keys made before scopes existed keep what a key of their organisation
 * type gets by default now (storefronts: buy and pull; suppliers: upload), not everything: a key
 * that needs more is made anew with the scopes it needs.
 */
export class ApiKeyScopes1766000000000 implements MigrationInterface {
  name = 'ApiKeyScopes1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key ADD COLUMN scopes text[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`
      UPDATE api_key k SET scopes = CASE o.type
          WHEN 'merchant' THEN ARRAY['catalog:read', 'orders:read', 'orders:write', 'codes:read', 'stock:read', 'stock:pull']
          WHEN 'supplier' THEN ARRAY['catalog:read', 'batches:read', 'batches:write']
          ELSE ARRAY['catalog:read'] END
        FROM organisation o WHERE o.id = k.organisation_id`);
    await queryRunner.query(`ALTER TABLE api_key ALTER COLUMN scopes DROP DEFAULT`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key DROP COLUMN scopes`);
  }
}
