import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { REFUND_REASONS, RefundLinePayload, type RefundReason } from '../delivery/dispute.events';

export const REFUND_STAGES = ['before_release', 'after_release'] as const;
export type RefundStage = (typeof REFUND_STAGES)[number];

/**
 * Codes of an order line were refunded to the buyer: from escrow (`before_release`), or after
 * the release from the platform's commission and the supplier's payable, then its deposit.
 * Amounts in minor units (fen): amount = fromEscrow + commissionReversed + fromPayable + fromDeposit.
 */
export class RefundCompletedPayload extends RefundLinePayload {
  @IsUUID()
  refundId!: string;

  /** The request's id (a dispute's `requestId`), or absent for an operator's refund over HTTP. */
  @IsOptional()
  @IsUUID()
  requestId?: string;

  @IsUUID()
  buyerId!: string;

  @IsUUID()
  supplierId!: string;

  @IsIn(REFUND_REASONS)
  reason!: RefundReason;

  @IsIn(REFUND_STAGES)
  stage!: RefundStage;

  @IsInt()
  @Min(0)
  amount!: number;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @IsInt()
  @Min(0)
  fromEscrow!: number;

  @IsInt()
  @Min(0)
  commissionReversed!: number;

  @IsInt()
  @Min(0)
  fromPayable!: number;

  @IsInt()
  @Min(0)
  fromDeposit!: number;
}

export const REFUND_REFUSALS = ['refund_not_covered', 'refund_exceeds_line', 'line_not_refundable', 'order_line_not_found', 'refund_request_conflict'] as const;
export type RefundRefusal = (typeof REFUND_REFUSALS)[number];

/** A requested refund was refused and nothing moved; `code` is the same stable code the HTTP API answers. */
export class RefundRefusedPayload extends RefundLinePayload {
  @IsUUID()
  requestId!: string;


  @IsIn(REFUND_REFUSALS)
  code!: RefundRefusal;

  @IsString()
  @MaxLength(500)
  detail!: string;
}

export const RefundCompleted = defineEvent('settlement.refund.completed', Topics.SettlementRefund, RefundCompletedPayload);
export const RefundRefused = defineEvent('settlement.refund.refused', Topics.SettlementRefund, RefundRefusedPayload);
