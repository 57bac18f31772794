import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordering's copy of each catalog product's category (newest by version): order lines carry it
 * in ordering.order.placed, so settlement can apply a category's commission rate.
 */
export class ProductCategoryView1764700000000 implements MigrationInterface {
  name = 'ProductCategoryView1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE product_view (
        product_id uuid PRIMARY KEY,
        version integer NOT NULL,
        category_code text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE product_view`);
  }
}
