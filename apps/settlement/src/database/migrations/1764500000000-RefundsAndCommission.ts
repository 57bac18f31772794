import type { MigrationInterface, QueryRunner } from 'typeorm';

const NEW_TRANSACTION_KINDS = ['refund_from_escrow', 'refund_after_release'];

/**
 * Refunds of an order line's codes, and commission rates per supplier and per category.
 *
 * - order_payment_line learns the product's category (for its commission rate), how many of its
 *   codes were refunded (never more than were sold: CHECK), and what its release paid: the codes
 *   released, the rate used and where it came from, the commission taken. A refund after the
 *   release reverses that commission in proportion.
 * - refund: one row per refund, unique per request (an operator's Idempotency-Key, a dispute's
 *   request id), with where its money came from (the parts add up to the amount: CHECK).
 * - commission_category_rate beside the existing per-supplier commission_rate, and
 *   commission_rate_change, the audit of every change (who, when, old → new).
 * - ledger_transaction.kind gains the refunds' kinds. The CHECK is rebuilt from the one in place,
 *   so kinds other migrations added stay allowed.
 */
export class RefundsAndCommission1764500000000 implements MigrationInterface {
  name = 'RefundsAndCommission1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await this.setTransactionKinds(q, (kinds) => [...new Set([...kinds, ...NEW_TRANSACTION_KINDS])]);

    await q.query(`
      ALTER TABLE order_payment_line
        ADD COLUMN category_code text,
        ADD COLUMN refunded_quantity int NOT NULL DEFAULT 0,
        -- set by the release: codes released (quantity less those refunded before), the rate used, the commission taken
        ADD COLUMN released_quantity int,
        ADD COLUMN commission_rate_bps int CHECK (commission_rate_bps BETWEEN 0 AND 10000),
        ADD COLUMN commission_rate_source text CHECK (commission_rate_source IN ('supplier', 'category', 'default')),
        ADD COLUMN commission bigint CHECK (commission >= 0),
        ADD CONSTRAINT order_payment_line_refunded_within CHECK (refunded_quantity BETWEEN 0 AND quantity),
        ADD CONSTRAINT order_payment_line_released_within CHECK (released_quantity IS NULL OR released_quantity BETWEEN 0 AND quantity)`);

    await q.query(`
      CREATE TABLE refund (
        id uuid PRIMARY KEY,
        -- the listing order (cursor pagination)
        seq bigserial NOT NULL UNIQUE,
        -- names the request: 'operator:<organisation>:<Idempotency-Key>' or 'dispute:<requestId>'
        request_ref text NOT NULL UNIQUE,
        request_id uuid,
        dispute_id uuid,
        order_id uuid NOT NULL REFERENCES order_payment (order_id),
        line_id uuid NOT NULL REFERENCES order_payment_line (line_id),
        buyer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_price bigint NOT NULL CHECK (unit_price >= 0),
        amount bigint NOT NULL CHECK (amount = quantity * unit_price),
        currency char(3) NOT NULL,
        reason text NOT NULL,
        note text,
        stage text NOT NULL CHECK (stage IN ('before_release', 'after_release')),
        from_escrow bigint NOT NULL CHECK (from_escrow >= 0),
        commission_reversed bigint NOT NULL CHECK (commission_reversed >= 0),
        from_payable bigint NOT NULL CHECK (from_payable >= 0),
        from_deposit bigint NOT NULL CHECK (from_deposit >= 0),
        requested_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT refund_parts_add_up CHECK (amount = from_escrow + commission_reversed + from_payable + from_deposit)
      )`);
    await q.query(`CREATE INDEX refund_order_idx ON refund (order_id, seq)`);

    await q.query(`ALTER TABLE commission_rate ADD COLUMN updated_by uuid`);
    await q.query(`
      CREATE TABLE commission_category_rate (
        category_code text PRIMARY KEY CHECK (category_code ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)*$'),
        rate_bps int NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid
      )`);
    await q.query(`
      CREATE TABLE commission_rate_change (
        id bigserial PRIMARY KEY,
        scope text NOT NULL CHECK (scope IN ('supplier', 'category')),
        -- the supplier id or the category code
        subject text NOT NULL,
        -- null: no rate of its own (before: the default applied; after: deleted)
        old_rate_bps int,
        new_rate_bps int,
        changed_by_organisation uuid NOT NULL,
        changed_by_principal text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX commission_rate_change_subject_idx ON commission_rate_change (scope, subject, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS commission_rate_change, commission_category_rate, refund`);
    await q.query(`ALTER TABLE commission_rate DROP COLUMN IF EXISTS updated_by`);
    await q.query(`
      ALTER TABLE order_payment_line
        DROP CONSTRAINT IF EXISTS order_payment_line_released_within,
        DROP CONSTRAINT IF EXISTS order_payment_line_refunded_within,
        DROP COLUMN IF EXISTS commission,
        DROP COLUMN IF EXISTS commission_rate_source,
        DROP COLUMN IF EXISTS commission_rate_bps,
        DROP COLUMN IF EXISTS released_quantity,
        DROP COLUMN IF EXISTS refunded_quantity,
        DROP COLUMN IF EXISTS category_code`);
    await this.setTransactionKinds(q, (kinds) => kinds.filter((k) => !NEW_TRANSACTION_KINDS.includes(k)));
  }

  /** Replaces the CHECK on ledger_transaction.kind with one allowing `change(the kinds allowed now)`. */
  private async setTransactionKinds(q: QueryRunner, change: (kinds: string[]) => string[]): Promise<void> {
    const checks: { name: string; definition: string }[] = await q.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = 'ledger_transaction'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%kind%'`,
    );
    if (checks.length !== 1) throw new Error(`expected one CHECK on ledger_transaction.kind, found ${checks.length}`);
    const check = checks[0]!;
    const kinds = change([...check.definition.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!));
    if (kinds.length === 0) throw new Error(`could not read the transaction kinds from ${check.definition}`);
    await q.query(`ALTER TABLE ledger_transaction DROP CONSTRAINT "${check.name}"`);
    await q.query(`ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_kind_check CHECK (kind IN (${kinds.map((k) => `'${k}'`).join(', ')}))`);
  }
}
