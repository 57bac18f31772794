import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';
import { VaultRevealClient, type RevealedCode } from '../vault/vault-reveal.client';
import { signingSecrets } from './webhook-endpoints.service';
import type { WebhookPayload } from './webhook-events.consumer';
import { WebhookSecrets } from './webhook-secrets';
import { postWebhook, type SendResult } from './webhook-sender';
import { signWebhook } from './webhook-signature';
import { parseWebhookUrl } from './url-guard';

const BATCH = 20;

interface Claimed {
  id: string;
  endpoint_id: string;
  organisation_id: string;
  payload: WebhookPayload;
  attempts: number;
  round: number;
  round_attempts: number;
  url: string;
  include_codes: boolean;
}

/**
 * Full jitter (AWS's "Exponential Backoff And Jitter"): a uniformly random wait up to the capped
 * exponential, so receivers that came back are not hit by every sender at the same instant.
 */
export function retryDelayMs(roundAttempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(roundAttempt - 1, 40));
  return Math.floor(random() * ceiling);
}

/**
 * Sends due webhooks. Claims them with SKIP LOCKED and a lease (next_attempt_at pushed past the
 * longest an attempt can take, lease_token set), so instances side by side never send one twice
 * at once and a crashed sender's deliveries come due again; the HTTP call runs outside any
 * transaction; the result is written only by the lease holder. A 2xx delivers; anything else is
 * retried with exponential backoff and full jitter until WEBHOOK_RETRY_WINDOW_SECONDS after the
 * round's first attempt, then the delivery is `failed` (the owner may replay it).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: WebhookSecrets,
    private readonly vault: VaultRevealClient,
    @Inject(SERVICE_CONFIG) private readonly config: DeliveryConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.WEBHOOK_DISPATCH_INTERVAL_MS,
      run: () => this.dispatchDue(),
      onError: (error) => this.logger.error({ err: error }, 'webhook dispatch failed; retried on the next tick'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Sends every delivery due now, a batch at a time (each batch's sends side by side). Returns how many were attempted. */
  async dispatchDue(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const claimed = await this.claim();
      await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
      attempted += claimed.length;
      if (claimed.length < BATCH) return attempted;
    }
  }

  private async claim(): Promise<(Claimed & { lease: string })[]> {
    const lease = randomUUID();
    // Long enough for a reveal and a send; after it, a crashed sender's delivery is due again.
    const leaseSeconds = (this.config.WEBHOOK_TIMEOUT_MS + this.config.VAULT_TIMEOUT_MS) / 1000 + 30;
    const rows: Claimed[] = await this.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
          ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED),
       claimed AS (UPDATE webhook_delivery d SET lease_token = $2, attempts = d.attempts + 1, round_attempts = d.round_attempts + 1,
              first_attempt_at = COALESCE(d.first_attempt_at, now()), next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
         FROM due, webhook_endpoint e
        WHERE d.id = due.id AND e.id = d.endpoint_id
       RETURNING d.id::text, d.endpoint_id::text, d.organisation_id::text, d.payload, d.attempts, d.round, d.round_attempts, e.url, e.include_codes)
       SELECT * FROM claimed`,
      [BATCH, lease, leaseSeconds],
    );
    return rows.map((row) => ({ ...row, lease }));
  }

  private async attempt(delivery: Claimed & { lease: string }): Promise<void> {
    const attemptedAt = new Date();
    let result: SendResult;
    let revealedCodeIds: string[] = [];
    try {
      const secrets = await signingSecrets(this.dataSource.manager, this.secrets, delivery.endpoint_id);
      if (!secrets) return; // deleted meanwhile (its deliveries went with it)
      // Checked again at send time: the setting may have changed; the lookup guards the addresses.
      parseWebhookUrl(delivery.url, this.config.WEBHOOK_ALLOW_PRIVATE_URLS);
      const { body, codeIds } = await this.bodyOf(delivery);
      revealedCodeIds = codeIds;
      const timestamp = Math.floor(Date.now() / 1000);
      result = await postWebhook(
        delivery.url,
        { 'webhook-id': delivery.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(delivery.id, timestamp, body, secrets) },
        body,
        { timeoutMs: this.config.WEBHOOK_TIMEOUT_MS, allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_URLS },
      );
    } catch (error) {
      // Our side failed (URL now refused, vault unavailable): an attempt that reached no receiver.
      const code = (error as { code?: string }).code;
      result = { statusCode: null, error: code ? `not sent: ${code}` : 'not sent: internal error', durationMs: Date.now() - attemptedAt.getTime() };
      if (!code) this.logger.error({ err: error, deliveryId: delivery.id }, 'webhook attempt failed before sending');
    }
    await this.record(delivery, attemptedAt, result, revealedCodeIds);
  }

  /** The body to send: the stored payload, plus each code's plaintext for an includeCodes endpoint (revealed now, never stored or logged). */
  private async bodyOf(delivery: Claimed): Promise<{ body: string; codeIds: string[] }> {
    const payload = delivery.payload;
    // Codes of a stock order stay in the buyer's purchased stock, to be pulled one by one.
    if (!delivery.include_codes || payload.type !== 'order.delivered' || payload.data.fulfilment !== 'codes') {
      return { body: JSON.stringify(payload), codeIds: [] };
    }
    // A retry or replay after a refund or replacement never sends a code the buyer gave back.
    const withdrawn: { code_id: string }[] = await this.dataSource.query(
      `SELECT code_id::text FROM delivered_code WHERE code_id = ANY($1::bigint[]) AND withdrawn_at IS NOT NULL`,
      [payload.data.lines.flatMap((l) => l.codeIds)],
    );
    const gone = new Set(withdrawn.map((r) => r.code_id));
    const held = (codeId: string): boolean => !gone.has(codeId);
    const codeIds = payload.data.lines.flatMap((l) => l.codeIds).filter(held);
    const revealed = new Map<string, RevealedCode>(
      (
        await this.vault.reveal({
          buyerId: delivery.organisation_id,
          codeIds,
          channel: 'webhook',
          actor: `webhook-endpoint:${delivery.endpoint_id}`,
          purpose: `webhook ${delivery.id}`,
        })
      ).map((c) => [c.codeId, c]),
    );
    const lines = payload.data.lines.map((line) => ({
      ...line,
      codes: line.codeIds.filter(held).map((codeId) => {
        const code = revealed.get(codeId);
        if (!code) throw Object.assign(new Error('a code was not revealed'), { code: 'codes_not_revealed' });
        return { codeId, code: code.code, pin: code.pin, serial: code.serial, redemptionUrl: code.redemptionUrl, expiresAt: code.expiresAt };
      }),
    }));
    return { body: JSON.stringify({ ...payload, data: { ...payload.data, lines } }), codeIds };
  }

  private async record(delivery: Claimed & { lease: string }, attemptedAt: Date, result: SendResult, revealedCodeIds: string[]): Promise<void> {
    const succeeded = result.error === null;
    const delaySeconds = retryDelayMs(delivery.round_attempts, this.config.WEBHOOK_RETRY_BASE_MS, this.config.WEBHOOK_RETRY_MAX_DELAY_MS) / 1000;
    await this.dataSource.transaction(async (manager) => {
      // The last attempt lands at the window's end at the latest; a failure from then on is final.
      const updated: { status: string }[] = await manager.query(
        `WITH changed AS (UPDATE webhook_delivery SET
           status = CASE WHEN $3 THEN 'delivered' WHEN now() >= first_attempt_at + make_interval(secs => $4) THEN 'failed' ELSE 'pending' END,
           next_attempt_at = LEAST(now() + make_interval(secs => $5), first_attempt_at + make_interval(secs => $4)),
           delivered_at = CASE WHEN $3 THEN now() END,
           failed_at = CASE WHEN NOT $3 AND now() >= first_attempt_at + make_interval(secs => $4) THEN now() END,
           lease_token = NULL, last_status_code = $6, last_error = $7, updated_at = now()
         WHERE id = $1 AND lease_token = $2 RETURNING status) SELECT * FROM changed`,
        [delivery.id, delivery.lease, succeeded, this.config.WEBHOOK_RETRY_WINDOW_SECONDS, delaySeconds, result.statusCode, result.error],
      );
      if (!updated[0]) return; // the endpoint was deleted, or the lease ran out and another instance took over
      await manager.query(
        `INSERT INTO webhook_attempt (delivery_id, attempt, round, attempted_at, duration_ms, status_code, error, succeeded)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
        [delivery.id, delivery.attempts, delivery.round, attemptedAt, result.durationMs, result.statusCode, result.error, succeeded],
      );
      if (revealedCodeIds.length > 0) {
        await manager.query(
          `UPDATE delivered_code SET first_revealed_at = now(), first_reveal_channel = 'webhook' WHERE code_id = ANY($1::bigint[]) AND first_revealed_at IS NULL`,
          [revealedCodeIds],
        );
      }
      this.logger.log(
        { deliveryId: delivery.id, endpointId: delivery.endpoint_id, attempt: delivery.attempts, statusCode: result.statusCode, error: result.error, status: updated[0].status },
        'webhook attempt',
      );
    });
  }
}
