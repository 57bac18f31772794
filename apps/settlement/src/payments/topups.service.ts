import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Identity } from '@kami/platform';
import { Ledger } from '../ledger/ledger';
import { transfer } from '../ledger/ledger-rules';
import {
  amountOverChannelLimit,
  invalidNotificationSignature,
  notificationMismatch,
  topupNotFound,
  topupNotPending,
  unknownPaymentChannel,
  unknownPaymentProvider,
} from '../settlement.errors';
import { InvalidNotificationError, PAYMENT_PROVIDER, type PaymentProvider, type RawNotification } from './payment-provider';
import { SandboxProvider } from './sandbox-provider';
import type { CreateTopupDto, TopupDto } from './topup.dto';

const INTENT_TTL_MS = 30 * 60_000;

interface TopupRow {
  id: string;
  organisation_id: string;
  amount: string;
  currency: string;
  channel: string;
  provider: string;
  provider_payment_id: string;
  payment_action: { type: string; url: string };
  status: TopupDto['status'];
  created_at: Date;
  expires_at: Date;
  settled_at: Date | null;
}

const toDto = (r: TopupRow): TopupDto => ({
  id: r.id,
  organisationId: r.organisation_id,
  amount: Number(r.amount),
  currency: r.currency,
  channel: r.channel,
  provider: r.provider,
  status: r.status,
  paymentAction: r.payment_action,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  ...(r.settled_at ? { settledAt: r.settled_at.toISOString() } : {}),
});

const COLUMNS = `id::text, organisation_id::text, amount::text, currency, channel, provider, provider_payment_id, payment_action, status, created_at, expires_at, settled_at`;

/**
 * Wallet top-ups: a payment intent at the provider (refused up front when the channel's
 * single-payment limit is exceeded), then the provider's signed notification, verified, credits
 * the wallet from provider clearing exactly once (a guarded `pending → succeeded` transition and
 * the ledger's idempotency reference `topup:<id>`, in one transaction).
 */
@Injectable()
export class TopupsService {
  private readonly logger = new Logger(TopupsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  async create(identity: Identity, input: CreateTopupDto, idempotencyKey?: string): Promise<TopupDto> {
    const channel = this.provider.channel(input.channel);
    if (!channel) throw unknownPaymentChannel(input.channel);
    if (channel.singlePaymentLimit !== undefined && input.amount > channel.singlePaymentLimit) throw amountOverChannelLimit(channel.name, channel.singlePaymentLimit);
    if (idempotencyKey) {
      const existing = await this.byKey(identity.organisationId, idempotencyKey);
      if (existing) return existing;
    }
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + INTENT_TTL_MS);
    const intent = await this.provider.createIntent({ merchantReference: id, amount: input.amount, currency: input.currency, channel: channel.name, description: 'Kami wallet top-up', expiresAt });
    const rows: TopupRow[] = await this.dataSource.query(
      `INSERT INTO topup (id, organisation_id, amount, currency, channel, provider, provider_payment_id, payment_action, status, idempotency_key, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)
       ON CONFLICT (organisation_id, idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
      [id, identity.organisationId, input.amount, input.currency, channel.name, this.provider.name, intent.providerPaymentId, JSON.stringify(intent.action), idempotencyKey ?? null, expiresAt],
    );
    if (rows[0]) return toDto(rows[0]);
    // A concurrent request with the same key won: answer its top-up.
    return (await this.byKey(identity.organisationId, idempotencyKey!))!;
  }

  async get(identity: Identity, id: string): Promise<TopupDto> {
    const rows: TopupRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM topup WHERE id = $1 AND (organisation_id = $2 OR $3)`, [
      id,
      identity.organisationId,
      identity.organisationType === 'operator',
    ]);
    if (!rows[0]) throw topupNotFound();
    return toDto(rows[0]);
  }

  /** Sandbox only: the payer pays the intent; the sandbox then notifies us over HTTP, asynchronously (and maybe twice). */
  async sandboxPay(identity: Identity, id: string): Promise<{ topupId: string; notification: 'scheduled' }> {
    const topup = await this.get(identity, id);
    if (!(this.provider instanceof SandboxProvider)) throw unknownPaymentProvider();
    if (topup.status !== 'pending') throw topupNotPending(topup.status);
    const rows: TopupRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM topup WHERE id = $1`, [id]);
    const notification = this.provider.notificationFor({ providerPaymentId: rows[0]!.provider_payment_id, merchantReference: id, amount: topup.amount, currency: topup.currency });
    const sandbox = this.provider;
    setImmediate(() => void sandbox.deliver(notification).then((statuses) => this.logger.log({ topupId: id, statuses }, 'sandbox notification delivered')));
    return { topupId: id, notification: 'scheduled' };
  }

  /** A provider's notification: verified, then applied once. Answers what the provider expects. */
  async handleNotification(providerName: string, raw: RawNotification): Promise<unknown> {
    if (providerName !== this.provider.name) throw unknownPaymentProvider();
    let verified;
    try {
      verified = this.provider.verifyNotification(raw);
    } catch (error) {
      if (!(error instanceof InvalidNotificationError)) throw error;
      this.logger.warn({ provider: providerName, reason: error.message }, 'refused a payment notification');
      await this.record(this.dataSource.manager, providerName, undefined, undefined, 'rejected', error.message);
      throw invalidNotificationSignature();
    }
    const outcome = await this.dataSource.transaction(async (manager) => {
      const rows: TopupRow[] = await manager.query(`SELECT ${COLUMNS} FROM topup WHERE id::text = $1 AND provider = $2 FOR UPDATE`, [verified.merchantReference, providerName]);
      const topup = rows[0];
      if (!topup || topup.provider_payment_id !== verified.providerPaymentId || Number(topup.amount) !== verified.amount || topup.currency !== verified.currency) {
        await this.record(manager, providerName, verified.notificationId, topup?.id, 'rejected', 'does not match the top-up');
        return 'mismatch' as const;
      }
      if (topup.status !== 'pending') {
        await this.record(manager, providerName, verified.notificationId, topup.id, 'duplicate');
        return 'duplicate' as const;
      }
      if (verified.outcome === 'failed') {
        await manager.query(`UPDATE topup SET status = 'failed', settled_at = now() WHERE id = $1 AND status = 'pending'`, [topup.id]);
        await this.record(manager, providerName, verified.notificationId, topup.id, 'failed_payment');
        return 'failed' as const;
      }
      await manager.query(`UPDATE topup SET status = 'succeeded', settled_at = now() WHERE id = $1 AND status = 'pending'`, [topup.id]);
      await this.credit(manager, topup);
      await this.record(manager, providerName, verified.notificationId, topup.id, 'credited');
      return 'credited' as const;
    });
    if (outcome === 'mismatch') throw notificationMismatch();
    this.logger.log({ topupId: verified.merchantReference, outcome }, 'payment notification handled');
    return this.provider.acknowledgement();
  }

  private async credit(manager: EntityManager, topup: TopupRow): Promise<void> {
    const clearing = await this.ledger.platformAccount(manager, 'provider_clearing', topup.currency);
    const wallet = await this.ledger.account(manager, topup.organisation_id, 'merchant_wallet', topup.currency);
    await this.ledger.post(manager, { kind: 'topup', reference: topup.id, idempotencyRef: `topup:${topup.id}`, legs: transfer(clearing, wallet, topup.currency, Number(topup.amount)) });
  }

  private async record(manager: EntityManager, provider: string, notificationId: string | undefined, topupId: string | undefined, outcome: string, detail?: string): Promise<void> {
    await manager.query(`INSERT INTO provider_notification (provider, notification_id, topup_id, outcome, detail) VALUES ($1, $2, $3, $4, $5)`, [
      provider,
      notificationId ?? null,
      topupId ?? null,
      outcome,
      detail ?? null,
    ]);
  }

  private async byKey(organisationId: string, key: string): Promise<TopupDto | undefined> {
    const rows: TopupRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM topup WHERE organisation_id = $1 AND idempotency_key = $2`, [organisationId, key]);
    return rows[0] ? toDto(rows[0]) : undefined;
  }
}
