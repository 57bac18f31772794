import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement: the double-entry ledger (accounts, transactions, entries), top-ups through a
 * payment provider, order payments with their lines (escrow and its release), commission rates.
 *
 * The ledger's invariants live in PostgreSQL, not only in code:
 * - an entry's currency is its account's (composite foreign key);
 * - every transaction's entries sum to zero per currency, checked when the transaction commits
 *   (a deferred constraint trigger), and a transaction has at least two entries;
 * - an account's cached balance and movement sequence are moved by a trigger on each entry, in
 *   the same transaction, so they can never disagree with the entries; wallets, escrow and
 *   deposits may never go below zero (CHECK);
 * - entries and transactions are append-only (UPDATE and DELETE raise);
 * - one business movement posts at most once (unique idempotency reference).
 */
export class CreateSettlement1764300000000 implements MigrationInterface {
  name = 'CreateSettlement1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the owning organisation, or 'platform' for the platform's own accounts
        owner text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('merchant_wallet', 'order_escrow', 'supplier_payable', 'supplier_deposit', 'platform_commission_revenue', 'provider_clearing')),
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        balance bigint NOT NULL DEFAULT 0,
        -- grows by one with every entry on the account (settlement.wallet.changed carries it)
        sequence bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_account_owner_kind_currency UNIQUE (owner, kind, currency),
        CONSTRAINT ledger_account_id_currency UNIQUE (id, currency),
        CONSTRAINT ledger_account_platform_kinds CHECK ((owner = 'platform') = (kind IN ('platform_commission_revenue', 'provider_clearing'))),
        CONSTRAINT ledger_account_non_negative CHECK (kind NOT IN ('merchant_wallet', 'order_escrow', 'supplier_deposit', 'supplier_payable') OR balance >= 0)
      )`);

    await q.query(`
      CREATE TABLE ledger_transaction (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('topup', 'order_capture', 'order_refund', 'escrow_release', 'deposit_topup', 'adjustment')),
        -- the business object it belongs to: an order id, a top-up id...
        reference text NOT NULL,
        -- one business movement, one transaction: a retry finds this and posts nothing
        idempotency_ref text NOT NULL UNIQUE,
        posted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ledger_transaction_reference_idx ON ledger_transaction (reference)`);

    await q.query(`
      CREATE TABLE ledger_entry (
        id bigserial PRIMARY KEY,
        transaction_id uuid NOT NULL REFERENCES ledger_transaction (id),
        account_id uuid NOT NULL,
        currency char(3) NOT NULL,
        -- signed minor units (fen): positive adds to the account, negative takes from it
        amount bigint NOT NULL CHECK (amount <> 0),
        -- set by the trigger: the account's balance and sequence once this entry is applied
        balance_after bigint NOT NULL DEFAULT 0,
        account_sequence bigint NOT NULL DEFAULT 0,
        posted_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ledger_entry_account_currency FOREIGN KEY (account_id, currency) REFERENCES ledger_account (id, currency)
      )`);
    await q.query(`CREATE INDEX ledger_entry_transaction_idx ON ledger_entry (transaction_id)`);
    await q.query(`CREATE INDEX ledger_entry_account_idx ON ledger_entry (account_id, id)`);
    await q.query(`CREATE INDEX ledger_entry_posted_idx ON ledger_entry (posted_at)`);

    // Each entry moves its account's cached balance and sequence in the same statement.
    await q.query(`
      CREATE FUNCTION ledger_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE ledger_account SET balance = balance + NEW.amount, sequence = sequence + 1
         WHERE id = NEW.account_id
         RETURNING balance, sequence INTO NEW.balance_after, NEW.account_sequence;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'ledger account % does not exist', NEW.account_id USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER ledger_entry_apply BEFORE INSERT ON ledger_entry FOR EACH ROW EXECUTE FUNCTION ledger_entry_apply()`);

    // Checked at commit, once all of a transaction's entries are in.
    await q.query(`
      CREATE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        unbalanced text;
        entries int;
      BEGIN
        SELECT count(*) INTO entries FROM ledger_entry WHERE transaction_id = NEW.transaction_id;
        IF entries < 2 THEN
          RAISE EXCEPTION 'ledger transaction % has % entry(ies); at least two are needed', NEW.transaction_id, entries USING ERRCODE = 'check_violation';
        END IF;
        SELECT string_agg(currency || ' ' || total, ', ') INTO unbalanced
          FROM (SELECT currency, sum(amount) AS total FROM ledger_entry WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount) <> 0) AS t;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'ledger transaction % does not balance: %', NEW.transaction_id, unbalanced USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_entry
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced()`);

    await q.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
    await q.query(`CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);

    // A wallet top-up: a payment intent at the provider, credited once when its notification is verified.
    await q.query(`
      CREATE TABLE topup (
        id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        channel text NOT NULL,
        provider text NOT NULL,
        provider_payment_id text NOT NULL,
        -- what the payer needs (a QR or redirect URL...), as the provider gave it
        payment_action jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        settled_at timestamptz,
        CONSTRAINT topup_provider_payment UNIQUE (provider, provider_payment_id),
        CONSTRAINT topup_idempotency UNIQUE (organisation_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX topup_organisation_idx ON topup (organisation_id, created_at DESC)`);

    // Every notification a provider sent, verified or not (for reconciliation and support).
    await q.query(`
      CREATE TABLE provider_notification (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        notification_id text,
        topup_id uuid,
        outcome text NOT NULL CHECK (outcome IN ('credited', 'duplicate', 'failed_payment', 'rejected')),
        detail text,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);

    // An order as settlement knows it: from ordering.order.placed and vault.allocation.reserved,
    // which can arrive in either order; the money moves when both are in.
    await q.query(`
      CREATE TABLE order_payment (
        order_id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        currency char(3),
        total bigint CHECK (total >= 0),
        placed boolean NOT NULL DEFAULT false,
        reserved boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'awaiting' CHECK (status IN ('awaiting', 'captured', 'failed', 'cancelled')),
        failure_reason text,
        captured_at timestamptz,
        release_due_at timestamptz,
        released_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX order_payment_release_due_idx ON order_payment (release_due_at) WHERE released_at IS NULL AND release_due_at IS NOT NULL`);
    await q.query(`
      CREATE TABLE order_payment_line (
        line_id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES order_payment (order_id),
        offer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_price bigint NOT NULL CHECK (unit_price >= 0),
        amount bigint NOT NULL CHECK (amount = quantity * unit_price),
        -- paid: in escrow; allocated: codes sold, held for the dispute window; refunded; released: paid out
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'allocated', 'refunded', 'released'))
      )`);
    await q.query(`CREATE INDEX order_payment_line_order_idx ON order_payment_line (order_id)`);

    // Per-supplier commission overrides; COMMISSION_RATE_BPS applies to everyone else.
    await q.query(`
      CREATE TABLE commission_rate (
        supplier_id uuid PRIMARY KEY,
        rate_bps int NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS commission_rate, order_payment_line, order_payment, provider_notification, topup, ledger_entry, ledger_transaction, ledger_account`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_append_only(), ledger_transaction_balanced(), ledger_entry_apply()`);
  }
}
