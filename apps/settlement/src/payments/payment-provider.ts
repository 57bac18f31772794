/**
 * The port every payment provider sits behind. Shaped after Alipay (precreate → QR, async
 * notify with RSA2 `sign` over the sorted parameters, answer `success`) and WeChat Pay v3
 * (native/JSAPI order → code_url, async notify signed over timestamp + nonce + body, answer
 * 200 + `{code: "SUCCESS"}`): settlement creates a payment intent, later receives the
 * provider's notification, has the provider verify it, and credits the wallet once. An intent
 * carries an expiry (Alipay `time_expire`/`timeout_express`, WeChat `time_expire`) after which
 * the provider closes it unpaid; before giving up on one, settlement asks the provider
 * (`queryPayment`) in case the payment went through and only its notification is missing.
 */
export interface PaymentChannel {
  name: string;
  /** Largest single payment the channel accepts, in fen: every channel has one. */
  singlePaymentLimit: number;
}

export interface CreateIntentRequest {
  /** Our reference (the top-up id): Alipay's out_trade_no, WeChat's out_trade_no. */
  merchantReference: string;
  amount: number;
  currency: string;
  channel: string;
  description: string;
  expiresAt: Date;
}

export interface PaymentIntent {
  /** The provider's id of the payment (trade_no / transaction_id, or the prepay id until paid). */
  providerPaymentId: string;
  /** What the payer does next: scan a QR code, follow a redirect. */
  action: { type: 'qr_code' | 'redirect'; url: string };
}

/** A notification as it arrived over HTTP, before anything about it is trusted. */
export interface RawNotification {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface VerifiedNotification {
  /** The provider's id of this notification (duplicates carry the same one). */
  notificationId: string;
  providerPaymentId: string;
  merchantReference: string;
  amount: number;
  currency: string;
  outcome: 'paid' | 'failed';
}

/**
 * What the provider says of a payment when asked (Alipay `alipay.trade.query`, WeChat Pay
 * `orderquery`): `paid` with what was paid; `pending` while the payer may still pay; `closed` once
 * the intent expired or was closed unpaid; `not_found` when the provider has no such payment
 * (Alipay's TRADE_NOT_EXIST: the payer never scanned the code).
 */
export type PaymentStatus =
  | { state: 'paid'; providerPaymentId: string; amount: number; currency: string }
  | { state: 'pending' | 'closed' | 'not_found' };

export class InvalidNotificationError extends Error {}

export interface PaymentProvider {
  readonly name: string;
  channel(name: string): PaymentChannel | undefined;
  createIntent(request: CreateIntentRequest): Promise<PaymentIntent>;
  /** Checks the signature and shape; throws InvalidNotificationError when the notification is not the provider's. */
  verifyNotification(raw: RawNotification): VerifiedNotification;
  /** Asks the provider about a payment (by our reference and its id); rejects when the provider cannot be reached. */
  queryPayment(payment: { merchantReference: string; providerPaymentId: string }): Promise<PaymentStatus>;
  /** What the provider expects as the answer to a notification it may stop resending. */
  acknowledgement(): unknown;
}

export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');
