import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, DomainError, invalidCursor, SERVICE_CONFIG, toCursorPage, ValidationFailedError, type CursorPage, type Identity } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { DEPOSIT_CURRENCY } from '../deposits/deposit-status';
import { Ledger } from '../ledger/ledger';
import { transfer } from '../ledger/ledger-rules';
import {
  amountOverChannelLimit,
  invalidNotificationSignature,
  notificationMismatch,
  paymentProviderUnavailable,
  topupNotFound,
  topupNotPending,
  unknownPaymentChannel,
  unknownPaymentProvider,
} from '../settlement.errors';
import { InvalidNotificationError, PAYMENT_PROVIDER, type PaymentProvider, type PaymentStatus, type RawNotification } from './payment-provider';
import { SandboxProvider } from './sandbox-provider';
import type { CreateTopupDto, TopupDto, TopupsQueryDto } from './topup.dto';
import { topupExpired } from './topup.errors';

/** What closing one top-up past its expiry did: `unresolved` leaves it pending for the next sweep (provider unreachable, or its answer does not match). */
export type ExpiryOutcome = 'expired' | 'credited' | 'unresolved';

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
  purpose: TopupDto['purpose'];
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
  purpose: r.purpose,
  paymentAction: r.payment_action,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  ...(r.settled_at ? { settledAt: r.settled_at.toISOString() } : {}),
});

const COLUMNS = `id::text, organisation_id::text, amount::text, currency, channel, provider, provider_payment_id, payment_action, status, purpose, created_at, expires_at, settled_at`;

/**
 * Top-ups of a merchant's wallet or a supplier's deposit (保证金), by who pays: a payment intent at the provider (refused up front when the channel's
 * single-payment limit is exceeded), then the provider's signed notification, verified, credits
 * the wallet or deposit from provider clearing exactly once (a guarded `pending → succeeded`
 * transition and the ledger's idempotency reference `topup:<id>`, in one transaction). An intent
 * unpaid at its expiry (TOPUP_EXPIRY_SECONDS) is closed by the expiry sweep (`pending → expired`)
 * unless the provider, asked first, says it was paid: then it is credited by the same path.
 */
@Injectable()
export class TopupsService {
  private readonly logger = new Logger(TopupsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    /** Null when PAYMENT_PROVIDER=none: no top-up can be taken. */
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider | null,
    @Inject(SERVICE_CONFIG) private readonly config: SettlementConfig,
  ) {}

  async create(identity: Identity, input: CreateTopupDto, idempotencyKey?: string): Promise<TopupDto> {
    if (!this.provider) throw paymentProviderUnavailable();
    const channel = this.provider.channel(input.channel);
    if (!channel) throw unknownPaymentChannel(input.channel);
    if (input.amount > channel.singlePaymentLimit) throw amountOverChannelLimit(channel.name, channel.singlePaymentLimit);
    const purpose: TopupDto['purpose'] = identity.organisationType === 'supplier' ? 'deposit' : 'wallet';
    if (purpose === 'deposit' && input.currency !== DEPOSIT_CURRENCY) {
      throw new ValidationFailedError([{ field: 'currency', messages: [`deposits are held in ${DEPOSIT_CURRENCY}`] }]);
    }
    if (idempotencyKey) {
      const existing = await this.byKey(identity.organisationId, idempotencyKey);
      if (existing) return existing;
    }
    const id = randomUUID();
    const expiresAt = new Date(Date.now() + this.config.TOPUP_EXPIRY_SECONDS * 1000);
    const intent = await this.provider.createIntent({ merchantReference: id, amount: input.amount, currency: input.currency, channel: channel.name, description: purpose === 'deposit' ? 'Kami supplier deposit' : 'Kami wallet top-up', expiresAt });
    const rows: TopupRow[] = await this.dataSource.query(
      `INSERT INTO topup (id, organisation_id, amount, currency, channel, provider, provider_payment_id, payment_action, status, purpose, idempotency_key, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11)
       ON CONFLICT (organisation_id, idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
      [id, identity.organisationId, input.amount, input.currency, channel.name, this.provider.name, intent.providerPaymentId, JSON.stringify(intent.action), purpose, idempotencyKey ?? null, expiresAt],
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

  /** The caller's top-ups (operators: anyone's, or the organisation they name), newest first, keyset-paged. */
  async list(identity: Identity, query: TopupsQueryDto): Promise<CursorPage<TopupDto>> {
    const operator = identity.organisationType === 'operator';
    if (!operator && query.organisationId && query.organisationId.toLowerCase() !== identity.organisationId) {
      throw new DomainError('forbidden', 403, 'Only operators may list another organisation\u2019s top-ups.');
    }
    const owner = operator ? (query.organisationId?.toLowerCase() ?? null) : identity.organisationId;
    const [afterAt, afterId] = query.cursor ? decodeCursor(query.cursor, 2) : [null, null];
    if (query.cursor && !(typeof afterAt === 'string' && !Number.isNaN(Date.parse(afterAt)) && typeof afterId === 'string' && /^[0-9a-f-]{36}$/.test(afterId))) {
      throw invalidCursor();
    }
    const rows: (TopupRow & { created_key: string })[] = await this.dataSource.query(
      `SELECT ${COLUMNS}, created_at::text AS created_key FROM topup
        WHERE ($1::uuid IS NULL OR organisation_id = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR purpose = $3)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $6`,
      [owner, query.status ?? null, query.purpose ?? null, afterAt, afterId, query.limit + 1],
    );
    return toCursorPage(rows, query.limit, (r) => [r.created_key, r.id], toDto);
  }

  /**
   * Sandbox only (its route exists only when PAYMENT_PROVIDER=sandbox): the payer pays the intent; the sandbox then notifies us over HTTP, asynchronously
   * (and maybe twice). `lost`: the sandbox takes the payment but its notification never arrives
   * (what the expiry sweep's payment query is for). An intent past its expiry cannot be paid.
   */
  async sandboxPay(identity: Identity, id: string, notification: 'scheduled' | 'lost' = 'scheduled'): Promise<{ topupId: string; notification: 'scheduled' | 'lost' }> {
    const topup = await this.get(identity, id);
    if (!(this.provider instanceof SandboxProvider)) throw unknownPaymentProvider();
    if (topup.status === 'expired') throw topupExpired(topup.expiresAt);
    if (topup.status !== 'pending') throw topupNotPending(topup.status);
    const rows: TopupRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM topup WHERE id = $1`, [id]);
    const signed = this.provider.pay({ providerPaymentId: rows[0]!.provider_payment_id, merchantReference: id, amount: topup.amount, currency: topup.currency, expiresAt: new Date(topup.expiresAt) });
    // Past its expiry but not swept yet: the sandbox, like a real provider, has closed the intent.
    if (signed === 'expired') throw topupExpired(topup.expiresAt);
    if (notification === 'lost') {
      this.logger.log({ topupId: id }, 'sandbox: payment taken, its notification is lost');
      return { topupId: id, notification };
    }
    const sandbox = this.provider;
    setImmediate(() => void sandbox.deliver(signed).then((statuses) => this.logger.log({ topupId: id, statuses }, 'sandbox notification delivered')));
    return { topupId: id, notification };
  }

  /** A provider's notification: verified, then applied once. Answers what the provider expects. */
  async handleNotification(providerName: string, raw: RawNotification): Promise<unknown> {
    const provider = this.provider;
    if (!provider || providerName !== provider.name) throw unknownPaymentProvider();
    let verified;
    try {
      verified = provider.verifyNotification(raw);
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
      if (topup.status === 'expired' && verified.outcome === 'paid') {
        // Paid after we closed it (the payer paid as it expired, or the sweep's query missed it):
        // the money was taken. A real provider would have refused the payment or would refund it;
        // we credit it instead, by the same idempotent path, so a notification never vanishes with
        // the payer's money (the honest choice for the sandbox, and a safe one with a real provider:
        // the payment stands at its end too). The outcome says so for reconciliation.
        await this.settle(manager, topup);
        await this.record(manager, providerName, verified.notificationId, topup.id, 'credited_after_expiry');
        return 'credited_after_expiry' as const;
      }
      if (topup.status !== 'pending') {
        // Nothing to apply: already settled, or closed unpaid and the provider confirms it (TRADE_CLOSED).
        await this.record(manager, providerName, verified.notificationId, topup.id, 'duplicate', topup.status === 'expired' ? 'the top-up had expired' : undefined);
        return 'duplicate' as const;
      }
      if (verified.outcome === 'failed') {
        await manager.query(`UPDATE topup SET status = 'failed', settled_at = now() WHERE id = $1 AND status = 'pending'`, [topup.id]);
        await this.record(manager, providerName, verified.notificationId, topup.id, 'failed_payment');
        return 'failed' as const;
      }
      await this.settle(manager, topup);
      await this.record(manager, providerName, verified.notificationId, topup.id, 'credited');
      return 'credited' as const;
    });
    if (outcome === 'mismatch') throw notificationMismatch();
    this.logger.log({ topupId: verified.merchantReference, outcome }, 'payment notification handled');
    return provider.acknowledgement();
  }

  /**
   * Closes the next pending top-up due at `now` (claimed with SKIP LOCKED, so several instances
   * sweep side by side; `passed` are those this sweep already left pending), in its own
   * transaction: asks the provider first (holding the row, so a notification arriving meanwhile
   * waits and then finds it settled or expired) and credits a payment it reports as paid;
   * otherwise it expires. Answers undefined when nothing is due.
   */
  async closeNextExpired(now: Date, passed: string[]): Promise<{ id: string; outcome: ExpiryOutcome } | undefined> {
    const provider = this.provider;
    // Without a provider nobody can be asked: top-ups of a provider no longer configured stay pending for an operator.
    if (!provider) return undefined;
    return this.dataSource.transaction(async (manager) => {
      const rows: TopupRow[] = await manager.query(
        `SELECT ${COLUMNS} FROM topup WHERE status = 'pending' AND expires_at <= $1 AND provider = $2 AND NOT (id = ANY($3::uuid[]))
          ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now, provider.name, passed],
      );
      const topup = rows[0];
      if (!topup) return undefined;
      let status: PaymentStatus;
      try {
        status = await provider.queryPayment({ merchantReference: topup.id, providerPaymentId: topup.provider_payment_id });
      } catch (error) {
        this.logger.warn({ err: error, topupId: topup.id }, 'the provider could not be asked about an expired top-up; it stays pending until the next sweep');
        return { id: topup.id, outcome: 'unresolved' as const };
      }
      if (status.state === 'paid') {
        if (status.providerPaymentId !== topup.provider_payment_id || status.amount !== Number(topup.amount) || status.currency !== topup.currency) {
          this.logger.error({ topupId: topup.id, status }, 'the provider reports a payment that does not match the top-up; it stays pending for an operator');
          return { id: topup.id, outcome: 'unresolved' as const };
        }
        await this.settle(manager, topup);
        this.logger.log({ topupId: topup.id }, 'credited a top-up past its expiry: the provider reports it paid (its notification has not arrived)');
        return { id: topup.id, outcome: 'credited' as const };
      }
      await manager.query(`UPDATE topup SET status = 'expired', settled_at = now() WHERE id = $1 AND status = 'pending'`, [topup.id]);
      return { id: topup.id, outcome: 'expired' as const };
    });
  }

  /** `pending | expired → succeeded` and the credit, once (the guarded update and the ledger's `topup:<id>`), in the caller's transaction. */
  private async settle(manager: EntityManager, topup: TopupRow): Promise<void> {
    await manager.query(`UPDATE topup SET status = 'succeeded', settled_at = now() WHERE id = $1 AND status IN ('pending', 'expired')`, [topup.id]);
    await this.credit(manager, topup);
  }

  /** Provider clearing → the merchant's wallet, or the supplier's deposit (whose posting publishes its new status). */
  private async credit(manager: EntityManager, topup: TopupRow): Promise<void> {
    const clearing = await this.ledger.platformAccount(manager, 'provider_clearing', topup.currency);
    const deposit = topup.purpose === 'deposit';
    const account = await this.ledger.account(manager, topup.organisation_id, deposit ? 'supplier_deposit' : 'merchant_wallet', topup.currency);
    await this.ledger.post(manager, {
      kind: deposit ? 'deposit_topup' : 'topup',
      reference: topup.id,
      idempotencyRef: `topup:${topup.id}`,
      legs: transfer(clearing, account, topup.currency, Number(topup.amount)),
    });
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
