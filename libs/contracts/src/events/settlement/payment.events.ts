import { IsIn, IsInt, IsUUID, Length, Matches, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/** An order's total moved from the merchant's wallet into escrow: vault sells the reserved codes. */
export class PaymentCapturedPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  buyerId!: string;

  /** Minor units (fen). */
  @IsInt()
  @Min(0)
  amount!: number;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;
}

export const PAYMENT_FAILURE_REASONS = ['insufficient_balance', 'currency_mismatch', 'failed'] as const;
export type PaymentFailureReason = (typeof PAYMENT_FAILURE_REASONS)[number];

/** An order could not be paid: vault releases what it reserved. */
export class PaymentFailedPayload {
  @IsUUID()
  orderId!: string;

  @IsIn(PAYMENT_FAILURE_REASONS)
  reason!: PaymentFailureReason;
}

export const PaymentCaptured = defineEvent('settlement.payment.captured', Topics.SettlementPayment, PaymentCapturedPayload);
export const PaymentFailed = defineEvent('settlement.payment.failed', Topics.SettlementPayment, PaymentFailedPayload);
