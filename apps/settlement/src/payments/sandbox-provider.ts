import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import {
  InvalidNotificationError,
  type CreateIntentRequest,
  type PaymentChannel,
  type PaymentIntent,
  type PaymentProvider,
  type RawNotification,
  type VerifiedNotification,
} from './payment-provider';

/** `standard:0,restricted:30000` → the channels and their single-payment limits (0: none). */
export function parseChannels(spec: string): Map<string, PaymentChannel> {
  return new Map(
    spec.split(',').map((pair) => {
      const [name, limit] = pair.split(':') as [string, string];
      const fen = Number(limit);
      return [name, fen > 0 ? { name, singlePaymentLimit: fen } : { name }];
    }),
  );
}

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

/**
 * A payment provider that behaves like the real ones: an intent per payment, confirmation later
 * by an asynchronous notification signed with the provider's key (HMAC-SHA256 here, RSA at
 * Alipay), the same notification sometimes delivered twice, and a single-payment limit per
 * channel. `pay` plays the payer and the provider's notifier: it posts the signed notification
 * to the notify URL over HTTP, so the receiving side verifies it exactly as a real one.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(private readonly options: SandboxOptions) {}

  channel(name: string): PaymentChannel | undefined {
    return this.options.channels.get(name);
  }

  createIntent(request: CreateIntentRequest): Promise<PaymentIntent> {
    const providerPaymentId = `sbx_${randomUUID().replace(/-/g, '')}`;
    return Promise.resolve({ providerPaymentId, action: { type: 'qr_code', url: `https://sandbox.pay.kami.invalid/qr/${providerPaymentId}?ref=${request.merchantReference}` } });
  }

  /** The notification the sandbox sends once the payer has paid (or closed) an intent. */
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
