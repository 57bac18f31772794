import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordering's projections (catalog offers, vault stock, settlement wallets) and its own orders:
 * the order, its routed lines (each with its own id: vault's reservation id) and every transition.
 */
export class CreateOrdering1763900000000 implements MigrationInterface {
  name = 'CreateOrdering1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE offer_view (
        offer_id           uuid        PRIMARY KEY,
        version            integer     NOT NULL,
        product_id         uuid        NOT NULL,
        supplier_id        uuid        NOT NULL,
        currency           char(3)     NOT NULL,
        status             text        NOT NULL,
        price_tiers        jsonb       NOT NULL,
        min_order_quantity integer     NOT NULL,
        max_order_quantity integer     NULL,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX offer_view_product ON offer_view (product_id) WHERE status = 'active'`);
    // Stock may be reported before the offer is known: its own table, newest by vault's sequence.
    await queryRunner.query(`
      CREATE TABLE offer_stock_view (
        offer_id   uuid        PRIMARY KEY,
        available  integer     NOT NULL CHECK (available >= 0),
        sequence   bigint      NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE wallet_view (
        organisation_id uuid        NOT NULL,
        currency        char(3)     NOT NULL,
        balance         bigint      NOT NULL CHECK (balance >= 0),
        sequence        bigint      NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organisation_id, currency)
      )`);
    await queryRunner.query(`
      CREATE TABLE purchase_order (
        id                  uuid        PRIMARY KEY,
        buyer_id            uuid        NOT NULL,
        status              text        NOT NULL CHECK (status IN ('placed', 'reserved', 'paid', 'allocated', 'delivered', 'cancelled', 'failed')),
        status_reason       text        NULL,
        currency            char(3)     NOT NULL,
        total               bigint      NOT NULL CHECK (total >= 0),
        external_ref        text        NULL,
        idempotency_key     text        NOT NULL,
        request_fingerprint text        NOT NULL,
        -- Milliseconds, like the ISO timestamps in pagination cursors, so a cursor compares exactly.
        created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    // Keyed here too, in the order's own transaction: the platform's stored response is written after it.
    await queryRunner.query(`CREATE UNIQUE INDEX purchase_order_idempotency ON purchase_order (buyer_id, idempotency_key)`);
    await queryRunner.query(`CREATE UNIQUE INDEX purchase_order_external_ref ON purchase_order (buyer_id, external_ref) WHERE external_ref IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX purchase_order_buyer_created ON purchase_order (buyer_id, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX purchase_order_created ON purchase_order (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX purchase_order_pending ON purchase_order (created_at) WHERE status IN ('placed', 'reserved')`);
    await queryRunner.query(`
      CREATE TABLE order_line (
        id             uuid    PRIMARY KEY,
        order_id       uuid    NOT NULL REFERENCES purchase_order (id),
        position       integer NOT NULL,
        request_index  integer NOT NULL,
        product_id     uuid    NOT NULL,
        offer_id       uuid    NOT NULL,
        supplier_id    uuid    NOT NULL,
        quantity       integer NOT NULL CHECK (quantity > 0),
        unit_price     bigint  NOT NULL CHECK (unit_price >= 0),
        line_total     bigint  NOT NULL CHECK (line_total >= 0),
        max_unit_price bigint  NULL,
        allocated      integer NOT NULL DEFAULT 0,
        failed         boolean NOT NULL DEFAULT false,
        UNIQUE (order_id, position)
      )`);
    await queryRunner.query(`CREATE INDEX order_line_product ON order_line (product_id, order_id)`);
    await queryRunner.query(`
      CREATE TABLE order_transition (
        id          bigserial   PRIMARY KEY,
        order_id    uuid        NOT NULL REFERENCES purchase_order (id),
        from_status text        NULL,
        to_status   text        NOT NULL,
        reason      text        NULL,
        event_id    uuid        NULL,
        at          timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX order_transition_order ON order_transition (order_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['order_transition', 'order_line', 'purchase_order', 'wallet_view', 'offer_stock_view', 'offer_view']) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
