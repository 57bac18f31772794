import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { MAX_LINE_QUANTITY } from '../ordering/order.events';

/** Why codes are refunded; the same list for disputes (Kafka) and operators (HTTP). */
export const REFUND_REASONS = ['code_invalid', 'code_already_redeemed', 'code_not_delivered', 'duplicate_purchase', 'operator_decision', 'other'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** Some codes of one order line: what a refund is about, in its request, its result and its refusal. */
export class RefundLinePayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  lineId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

/**
 * A dispute was decided for the buyer: settlement refunds `quantity` codes of one order line at
 * the line's unit price (from escrow before release, else from the supplier), once per
 * `requestId` however often this is sent, and answers with `settlement.refund.completed` or
 * `settlement.refund.refused` (keyed by the order id, carrying the same `requestId`).
 */
export class RefundRequestedPayload extends RefundLinePayload {
  /** Names this refund: the same id is refunded once (a retry after a lost answer is safe). */
  @IsUUID()
  requestId!: string;

  @IsOptional()
  @IsUUID()
  disputeId?: string;


  @IsIn(REFUND_REASONS)
  reason!: RefundReason;
}

export const RefundRequested = defineEvent('delivery.dispute.refund_requested', Topics.DeliveryDispute, RefundRequestedPayload);
