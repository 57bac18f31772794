import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import {
  InvalidNotificationError,
  type CreateIntentRequest,
  type PaymentChannel,
  type PaymentIntent,
  type PaymentProvider,
  type PaymentStatus,
  type RawNotification,
  type VerifiedNotification,
} from './payment-provider';

/** The fields of a sandbox notification, named as Alipay names its own (amount in fen, though). */
export interface SandboxNotification {
  notify_id: string;
  notify_time: string;
  trade_no: string;
  out_trade_no: string;
  total_amount: string;
  currency: string;
  trade_status: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  sign_type: 'HMAC-SHA256';
  sign: string;
}

const FIELDS = ['notify_id', 'notify_time', 'trade_no', 'out_trade_no', 'total_amount', 'currency', 'trade_status', 'sign_type'] as const;
const SAFE_VALUE = /^[A-Za-z0-9_:.+-]{1,100}$/;

/** Alipay's canonical form: the fields but `sign`, sorted by name, `name=value` joined with `&`. */
export function canonicalNotification(fields: Omit<SandboxNotification, 'sign'>): string {
  return [...FIELDS].sort().map((name) => `${name}=${fields[name]}`).join('&');
}

export function signNotification(fields: Omit<SandboxNotification, 'sign'>, key: string): SandboxNotification {
  return { ...fields, sign: createHmac('sha256', key).update(canonicalNotification(fields)).digest('base64') };
}

export interface SandboxOptions {
  key: string;
  channels: Map<string, PaymentChannel>;
  notifyUrl: string;
  duplicateNotifications: boolean;
  logger: PinoLogger;
}

/** What the sandbox remembers of an intent (in memory, per process: it stands in for the provider's own books). */
interface SandboxIntent {
  merchantReference: string;
  amount: number;
  currency: string;
  expiresAt: Date;
  paid: boolean;
}

/** A payment the sandbox is asked to take: the top-up's intent as settlement stored it. */
export interface SandboxPayment {
  providerPaymentId: string;
  merchantReference: string;
  amount: number;
  currency: string;
  expiresAt: Date;
}

/** How long the sandbox remembers an intent after its expiry, and how often it forgets old ones. */
const INTENT_RETENTION_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * A payment provider that behaves like the real ones: an intent per payment, confirmation later
 * by an asynchronous notification signed with the provider's key (HMAC-SHA256 here, RSA at
 * Alipay), the same notification sometimes delivered twice, and a single-payment limit per
 * channel. `pay` plays the payer and the provider's notifier: it posts the signed notification
 * to the notify URL over HTTP, so the receiving side verifies it exactly as a real one. Like
 * them it closes an intent unpaid at its expiry (`pay` refuses it then) and answers queries about
 * a payment (`queryPayment`, as Alipay's trade.query). Its books are this process's memory: an
 * intent made before a restart, or paid through another instance, is `not_found` to a query (a
 * payment the query misses still reaches settlement by its notification, which is credited even
 * after expiry).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(private readonly options: SandboxOptions) {}

  channel(name: string): PaymentChannel | undefined {
    return this.options.channels.get(name);
  }

  private readonly intents = new Map<string, SandboxIntent>();
  private lastPrune = Date.now();

  createIntent(request: CreateIntentRequest): Promise<PaymentIntent> {
    const providerPaymentId = `sbx_${randomUUID().replace(/-/g, '')}`;
    this.prune();
    this.intents.set(providerPaymentId, { merchantReference: request.merchantReference, amount: request.amount, currency: request.currency, expiresAt: request.expiresAt, paid: false });
    return Promise.resolve({ providerPaymentId, action: { type: 'qr_code', url: `https://sandbox.pay.kami.invalid/qr/${providerPaymentId}?ref=${request.merchantReference}` } });
  }

  /**
   * The payer pays the intent: the sandbox takes the payment and answers the notification it
   * sends for it, or `expired` when the intent is past its expiry (closed, nothing taken). An
   * intent the sandbox does not remember (made before a restart) is taken as the payment says.
   */
  pay(payment: SandboxPayment, now = new Date()): SandboxNotification | 'expired' {
    const known = this.intents.get(payment.providerPaymentId);
    const intent = known ?? { merchantReference: payment.merchantReference, amount: payment.amount, currency: payment.currency, expiresAt: payment.expiresAt, paid: false };
    if (!intent.paid && now >= intent.expiresAt) return 'expired';
    intent.paid = true;
    this.intents.set(payment.providerPaymentId, intent);
    return this.notificationFor({ providerPaymentId: payment.providerPaymentId, merchantReference: intent.merchantReference, amount: intent.amount, currency: intent.currency });
  }

  queryPayment(payment: { merchantReference: string; providerPaymentId: string }, now = new Date()): Promise<PaymentStatus> {
    const intent = this.intents.get(payment.providerPaymentId);
    if (!intent || intent.merchantReference !== payment.merchantReference) return Promise.resolve({ state: 'not_found' });
    if (intent.paid) return Promise.resolve({ state: 'paid', providerPaymentId: payment.providerPaymentId, amount: intent.amount, currency: intent.currency });
    return Promise.resolve({ state: now >= intent.expiresAt ? 'closed' : 'pending' });
  }

  /** Forgets intents long past their expiry (at most once a minute), so its memory stays bounded by the traffic of a day. */
  private prune(now = Date.now()): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    for (const [id, intent] of this.intents) if (intent.expiresAt.getTime() + INTENT_RETENTION_MS < now) this.intents.delete(id);
  }

  /** The notification the sandbox sends the payer has paid (or closed) an intent. */
  notificationFor(payment: { providerPaymentId: string; merchantReference: string; amount: number; currency: string }, outcome: 'paid' | 'failed' = 'paid'): SandboxNotification {
    return signNotification(
      {
        notify_id: randomUUID(),
        notify_time: new Date().toISOString(),
        trade_no: payment.providerPaymentId,
        out_trade_no: payment.merchantReference,
        total_amount: String(payment.amount),
        currency: payment.currency,
        trade_status: outcome === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED',
        sign_type: 'HMAC-SHA256',
      },
      this.options.key,
    );
  }

  /** Delivers a notification to the notify URL (twice when configured); resolves with the HTTP statuses. */
  async deliver(notification: SandboxNotification): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < (this.options.duplicateNotifications ? 2 : 1); i++) {
      try {
        const response = await fetch(this.options.notifyUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(10_000),
        });
        statuses.push(response.status);
      } catch (error) {
        this.options.logger.warn({ err: error, tradeNo: notification.trade_no }, 'sandbox: delivering a notification failed');
        statuses.push(0);
      }
    }
    return statuses;
  }

  verifyNotification(raw: RawNotification): VerifiedNotification {
    const body = raw.body as Partial<Record<string, unknown>> | undefined;
    if (!body || typeof body !== 'object') throw new InvalidNotificationError('the notification has no body');
    for (const name of FIELDS) {
      const value = body[name];
      if (typeof value !== 'string' || !SAFE_VALUE.test(value)) throw new InvalidNotificationError(`field ${name} is missing or malformed`);
    }
    if (typeof body.sign !== 'string') throw new InvalidNotificationError('the notification is not signed');
    const fields = body as unknown as SandboxNotification;
    if (fields.sign_type !== 'HMAC-SHA256') throw new InvalidNotificationError('unsupported sign_type');
    const expected = Buffer.from(createHmac('sha256', this.options.key).update(canonicalNotification(fields)).digest('base64'));
    const given = Buffer.from(fields.sign);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new InvalidNotificationError('bad signature');
    if (!/^[1-9][0-9]{0,14}$/.test(fields.total_amount)) throw new InvalidNotificationError('total_amount is not an amount in fen');
    if (fields.trade_status !== 'TRADE_SUCCESS' && fields.trade_status !== 'TRADE_CLOSED') throw new InvalidNotificationError('unknown trade_status');
    return {
      notificationId: fields.notify_id,
      providerPaymentId: fields.trade_no,
      merchantReference: fields.out_trade_no,
      amount: Number(fields.total_amount),
      currency: fields.currency,
      outcome: fields.trade_status === 'TRADE_SUCCESS' ? 'paid' : 'failed',
    };
  }

  acknowledgement(): unknown {
    return { result: 'success' };
  }
}
