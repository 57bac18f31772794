import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether each supplier's deposit (保证金) covers settlement's minimum, newest status by sequence (from settlement.deposit.v1). */
export class SupplierDeposits1764600000000 implements MigrationInterface {
  name = 'SupplierDeposits1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE supplier_deposit (
        supplier_id  uuid         PRIMARY KEY,
        covered      boolean      NOT NULL,
        sequence     bigint       NOT NULL,
        updated_at   timestamptz  NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE supplier_deposit`);
  }
}
