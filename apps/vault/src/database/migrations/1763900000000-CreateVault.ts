import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The vault: projections of catalog products and offers, batches with their wrapped data keys and
 * refusal reports, the codes themselves (encrypted), reservations, stock counters, reveals.
 */
export class CreateVault1763900000000 implements MigrationInterface {
  name = 'CreateVault1763900000000';

  async up(q: QueryRunner): Promise<void> {
    // What the vault needs of the catalog, kept from catalog.product.v1 and catalog.offer.v1.
    await q.query(`
      CREATE TABLE vault_product (
        product_id uuid PRIMARY KEY,
        version int NOT NULL,
        status text NOT NULL,
        code_pattern text NOT NULL,
        pin_policy text NOT NULL CHECK (pin_policy IN ('none', 'optional', 'required')),
        pin_pattern text,
        serial_required boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE vault_offer (
        offer_id uuid PRIMARY KEY,
        version int NOT NULL,
        product_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        status text NOT NULL,
        low_stock_threshold int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX vault_offer_supplier_idx ON vault_offer (supplier_id)`);

    // One row per offer, moved in the same transaction as the codes it counts. The CHECK is
    // invariant 2 (never lost): PostgreSQL refuses any commit that would break it.
    await q.query(`
      CREATE TABLE offer_stock (
        offer_id uuid PRIMARY KEY,
        supplier_id uuid NOT NULL,
        uploaded bigint NOT NULL DEFAULT 0,
        available bigint NOT NULL DEFAULT 0,
        reserved bigint NOT NULL DEFAULT 0,
        sold bigint NOT NULL DEFAULT 0,
        voided bigint NOT NULL DEFAULT 0,
        sequence bigint NOT NULL DEFAULT 0,
        -- the sequence last published as vault.stock.changed (events are coalesced off the hot path)
        published_sequence bigint NOT NULL DEFAULT 0,
        low_stock_alerted boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT offer_stock_never_lost CHECK (uploaded = available + reserved + sold + voided),
        CONSTRAINT offer_stock_non_negative CHECK (available >= 0 AND reserved >= 0 AND sold >= 0 AND voided >= 0)
      )`);
    await q.query(`CREATE INDEX offer_stock_unpublished_idx ON offer_stock (offer_id) WHERE sequence > published_sequence`);

    // A batch is an ingest job. Its codes stay invisible (never in Redis, never counted) until
    // the batch is completed; a batch that fails has its codes deleted in the same transaction.
    await q.query(`
      CREATE TABLE batch (
        id uuid PRIMARY KEY,
        offer_id uuid NOT NULL,
        supplier_id uuid NOT NULL,
        product_id uuid NOT NULL,
        source text NOT NULL CHECK (source IN ('json', 'csv')),
        status text NOT NULL CHECK (status IN ('receiving', 'completed', 'failed')),
        file_name text,
        lines_received int NOT NULL DEFAULT 0,
        accepted int NOT NULL DEFAULT 0,
        refused_bad_format int NOT NULL DEFAULT 0,
        refused_duplicate_in_batch int NOT NULL DEFAULT 0,
        refused_duplicate_in_vault int NOT NULL DEFAULT 0,
        refused_expired int NOT NULL DEFAULT 0,
        failure_code text,
        failure_detail text,
        -- the process ingesting it, and when it last showed it is alive (restart recovery)
        worker_id text,
        heartbeat_at timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX batch_supplier_created_idx ON batch (supplier_id, created_at DESC, id)`);
    await q.query(`CREATE INDEX batch_offer_idx ON batch (offer_id)`);
    await q.query(`CREATE INDEX batch_receiving_idx ON batch (heartbeat_at) WHERE status = 'receiving'`);

    // The batch's data key, wrapped (AES-256-GCM) by the master key named by master_key_id.
    await q.query(`
      CREATE TABLE batch_key (
        batch_id uuid PRIMARY KEY REFERENCES batch (id) ON DELETE CASCADE,
        master_key_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        rewrapped_at timestamptz
      )`);
    await q.query(`CREATE INDEX batch_key_master_idx ON batch_key (master_key_id)`);

    // Per-line refusals: never the line's content, only where it was and why.
    await q.query(`
      CREATE TABLE batch_refusal (
        batch_id uuid NOT NULL REFERENCES batch (id) ON DELETE CASCADE,
        line int NOT NULL,
        reason text NOT NULL CHECK (reason IN ('bad_format', 'duplicate_in_batch', 'duplicate_in_vault', 'expired')),
        field text,
        first_line int,
        PRIMARY KEY (batch_id, line)
      )`);

    // The codes. secret = iv | tag | AES-256-GCM(credential) under the batch's data key, with the
    // fingerprint as associated data. fingerprint = HMAC-SHA256(fingerprint key, normalised code):
    // the unique index finds duplicates across all suppliers without any plaintext.
    // status: available -> allocated (to reservation_id; sold when that reservation is
    // committed) -> back to available only while the reservation is held; void is final.
    // Only status and reservation_id change, and neither is indexed, so updates stay HOT.
    await q.query(`
      CREATE TABLE code (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        offer_id uuid NOT NULL,
        batch_id uuid NOT NULL,
        fingerprint bytea NOT NULL,
        secret bytea NOT NULL,
        expires_at timestamptz,
        status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'allocated', 'void')),
        reservation_id uuid,
        voided_at timestamptz,
        void_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT code_allocated_has_reservation CHECK ((status = 'allocated') = (reservation_id IS NOT NULL))
      ) WITH (fillfactor = 80)`);
    await q.query(`CREATE UNIQUE INDEX code_fingerprint_key ON code (fingerprint)`);
    await q.query(`CREATE INDEX code_offer_idx ON code (offer_id)`);
    await q.query(`CREATE INDEX code_batch_idx ON code (batch_id)`);

    // A reservation holds code_ids of one offer for one order line (its id is the line's id).
    // held -> committed (sold) | released | expired, each a guarded transition.
    await q.query(`
      CREATE TABLE reservation (
        id uuid PRIMARY KEY,
        offer_id uuid NOT NULL,
        order_id uuid,
        buyer_id uuid,
        quantity int NOT NULL CHECK (quantity > 0),
        code_ids bigint[] NOT NULL,
        status text NOT NULL CHECK (status IN ('held', 'committed', 'released', 'expired')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        committed_at timestamptz,
        ended_at timestamptz,
        end_reason text,
        CONSTRAINT reservation_all_or_nothing CHECK (cardinality(code_ids) = quantity)
      )`);
    await q.query(`CREATE INDEX reservation_held_expiry_idx ON reservation (expires_at) WHERE status = 'held'`);
    await q.query(`CREATE INDEX reservation_held_offer_idx ON reservation (offer_id) WHERE status = 'held'`);
    await q.query(`CREATE INDEX reservation_order_idx ON reservation (order_id)`);
    await q.query(`CREATE INDEX reservation_buyer_idx ON reservation (buyer_id)`);

    // An order as the vault sees it: one row per order so each saga step applies once.
    await q.query(`
      CREATE TABLE allocation_order (
        order_id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        status text NOT NULL CHECK (status IN ('reserved', 'rejected', 'committed', 'released')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // Codes that went back to available when a reservation ended unsold (a code's history).
    await q.query(`
      CREATE TABLE code_release (
        code_id bigint NOT NULL,
        reservation_id uuid NOT NULL,
        reason text NOT NULL,
        released_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (code_id, reservation_id)
      )`);

    // Every reveal of plaintext: who asked, for which buyer, through which channel, which codes.
    await q.query(`
      CREATE TABLE reveal (
        id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        caller text NOT NULL,
        actor text,
        channel text NOT NULL,
        purpose text,
        order_id uuid,
        code_count int NOT NULL,
        revealed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE reveal_code (
        code_id bigint NOT NULL,
        reveal_id uuid NOT NULL REFERENCES reveal (id) ON DELETE CASCADE,
        PRIMARY KEY (code_id, reveal_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['reveal_code', 'reveal', 'code_release', 'allocation_order', 'reservation', 'code', 'batch_refusal', 'batch_key', 'batch', 'offer_stock', 'vault_offer', 'vault_product']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
