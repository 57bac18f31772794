import { DomainError } from '@kami/platform';

/** Stable codes of the settlement domain. */
export const SettlementErrorCode = {
  UnknownPaymentChannel: 'unknown_payment_channel',
  AmountOverChannelLimit: 'amount_over_channel_limit',
  TopupNotFound: 'topup_not_found',
  TopupNotPending: 'topup_not_pending',
  InvalidNotificationSignature: 'invalid_notification_signature',
  NotificationMismatch: 'notification_mismatch',
  UnknownPaymentProvider: 'unknown_payment_provider',
  PaymentProviderUnavailable: 'payment_provider_unavailable',
  InvalidPeriod: 'invalid_period',
  OrganisationRequired: 'organisation_id_required',
} as const;

export class SettlementError extends DomainError {}

export const unknownPaymentChannel = (channel: string): SettlementError =>
  new SettlementError(SettlementErrorCode.UnknownPaymentChannel, 422, `The payment provider has no channel ${channel}.`, { channel });
export const amountOverChannelLimit = (channel: string, limit: number): SettlementError =>
  new SettlementError(SettlementErrorCode.AmountOverChannelLimit, 422, `The ${channel} channel accepts at most ${limit} fen in one payment.`, { channel, limit });
export const topupNotFound = (): SettlementError => new SettlementError(SettlementErrorCode.TopupNotFound, 404, 'No such top-up.');
export const topupNotPending = (status: string): SettlementError =>
  new SettlementError(SettlementErrorCode.TopupNotPending, 409, `The top-up is ${status}.`, { topupStatus: status });
export const invalidNotificationSignature = (): SettlementError =>
  // The reason stays in the service's log and the provider_notification table, not in the answer.
  new SettlementError(SettlementErrorCode.InvalidNotificationSignature, 400, 'The notification could not be verified.');
export const notificationMismatch = (): SettlementError =>
  new SettlementError(SettlementErrorCode.NotificationMismatch, 422, 'The notification does not match the payment it names.');
export const unknownPaymentProvider = (): SettlementError => new SettlementError(SettlementErrorCode.UnknownPaymentProvider, 404, 'No such payment provider.');
export const paymentProviderUnavailable = (): SettlementError =>
  new SettlementError(SettlementErrorCode.PaymentProviderUnavailable, 503, 'No payment provider is configured: top-ups cannot be taken.');
export const invalidPeriod = (detail: string): SettlementError => new SettlementError(SettlementErrorCode.InvalidPeriod, 400, detail);
export const organisationRequired = (): SettlementError =>
  new SettlementError(SettlementErrorCode.OrganisationRequired, 400, 'Operators name the organisation with ?organisationId=.');
