import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Top-ups expire: an intent unpaid at `expires_at` is closed (`expired`), found by the sweep through
 * a partial index of the pending ones. A notification that a payment went through after all
 * credits it and is recorded as `credited_after_expiry`.
 */
export class TopupExpiry1764800000000 implements MigrationInterface {
  name = 'TopupExpiry1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE topup DROP CONSTRAINT topup_status_check`);
    await q.query(`ALTER TABLE topup ADD CONSTRAINT topup_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'expired'))`);
    await q.query(`CREATE INDEX topup_pending_expiry_idx ON topup (expires_at) WHERE status = 'pending'`);
    await q.query(`ALTER TABLE provider_notification DROP CONSTRAINT provider_notification_outcome_check`);
    await q.query(
      `ALTER TABLE provider_notification ADD CONSTRAINT provider_notification_outcome_check CHECK (outcome IN ('credited', 'credited_after_expiry', 'duplicate', 'failed_payment', 'rejected'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // Expired top-ups were never paid: back to the failed state the older schema knows.
    await q.query(`UPDATE topup SET status = 'failed' WHERE status = 'expired'`);
    await q.query(`UPDATE provider_notification SET outcome = 'credited' WHERE outcome = 'credited_after_expiry'`);
    await q.query(`ALTER TABLE provider_notification DROP CONSTRAINT provider_notification_outcome_check`);
    await q.query(`ALTER TABLE provider_notification ADD CONSTRAINT provider_notification_outcome_check CHECK (outcome IN ('credited', 'duplicate', 'failed_payment', 'rejected'))`);
    await q.query(`DROP INDEX IF EXISTS topup_pending_expiry_idx`);
    await q.query(`ALTER TABLE topup DROP CONSTRAINT topup_status_check`);
    await q.query(`ALTER TABLE topup ADD CONSTRAINT topup_status_check CHECK (status IN ('pending', 'succeeded', 'failed'))`);
  }
}
