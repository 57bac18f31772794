import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (Standard Webhooks: signed POSTs with retries).
 * - webhook_endpoint: an organisation's receiver URL, the event types it wants, whether it gets
 *   plaintext codes, and its signing secret encrypted (AES-256-GCM under WEBHOOK_SECRET_KEY; it
 *   must be recoverable to sign, and is never answered again after creation/rotation). During a
 *   rotation the previous secret still signs (a second signature) until previous_secret_until.
 * - webhook_order: per order, the buyer (ordering.order.cancelled does not carry it) and the
 *   revision counter each notification about the order takes (1, 2, ...).
 * - webhook_delivery: one per (endpoint, event) — the unique key makes a redelivered Kafka event
 *   a no-op. Its id is the `webhook-id` header of every attempt. The payload holds ids only:
 *   plaintext codes are revealed at send time and never stored. A lease (lease_token,
 *   next_attempt_at pushed ahead) lets several instances dispatch side by side.
 * - webhook_attempt: every attempt (number, round, time, status code or error, duration); never
 *   a body.
 */
export class Webhooks1765300000000 implements MigrationInterface {
  name = 'Webhooks1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_endpoint (
        id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        include_codes boolean NOT NULL DEFAULT false,
        description text,
        enabled boolean NOT NULL DEFAULT true,
        secret_ciphertext text NOT NULL,
        previous_secret_ciphertext text,
        previous_secret_until timestamptz,
        creation_key text,
        creation_fingerprint text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((creation_key IS NULL) = (creation_fingerprint IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX webhook_endpoint_organisation ON webhook_endpoint (organisation_id, created_at, id)`);
    await queryRunner.query(`CREATE UNIQUE INDEX webhook_endpoint_creation_key ON webhook_endpoint (organisation_id, creation_key) WHERE creation_key IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE webhook_order (
        order_id uuid PRIMARY KEY,
        buyer_id uuid NOT NULL,
        revision integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
        organisation_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        order_id uuid,
        revision integer NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        round integer NOT NULL DEFAULT 1,
        round_attempts integer NOT NULL DEFAULT 0,
        first_attempt_at timestamptz,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_token uuid,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        failed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending'`);
    await queryRunner.query(`CREATE INDEX webhook_delivery_organisation ON webhook_delivery (organisation_id, created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE webhook_attempt (
        delivery_id uuid NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        round integer NOT NULL,
        attempted_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        succeeded boolean NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['webhook_attempt', 'webhook_delivery', 'webhook_order', 'webhook_endpoint']) await queryRunner.query(`DROP TABLE ${table}`);
  }
}
