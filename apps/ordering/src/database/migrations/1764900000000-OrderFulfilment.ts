import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where an order's codes go once sold: read per order (`codes`), or into the buyer's purchased stock (`stock`). */
export class OrderFulfilment1764900000000 implements MigrationInterface {
  name = 'OrderFulfilment1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE purchase_order ADD COLUMN fulfilment text NOT NULL DEFAULT 'codes' CHECK (fulfilment IN ('codes', 'stock'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE purchase_order DROP COLUMN fulfilment`);
  }
}
