// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsDateString, IsIn, IsInt, IsUUID, Matches, Min, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, OrderLineQuantityPayload } from '../ordering/order.events';

/** A code id as it travels: the vault's numeric id as a decimal string. Never the code itself. */
export const CODE_ID_PATTERN = /^[1-9][0-9]{0,18}$/;

/** An order line as the vault holds it: a quantity of one offer (prices are ordering's and settlement's business). */
export class AllocationLinePayload extends OrderLineQuantityPayload {}

/** Every line of the order is reserved in the vault until `expiresAt`. */
export class StockReservedPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  buyerId!: string;

  @IsDateString()
  expiresAt!: string;

  @ValidateNested({ each: true })
  @Type(() => AllocationLinePayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines!: AllocationLinePayload[];
}

export class StockShortfallPayload {
  @IsUUID()
  offerId!: string;

  @IsInt()
  @Min(1)
  requested!: number;

  @IsInt()
  @Min(0)
  available!: number;
}

export const RESERVATION_REFUSALS = ['insufficient_stock', 'offer_unavailable'] as const;
export type ReservationRefusal = (typeof RESERVATION_REFUSALS)[number];

/** Nothing was reserved for the order: `shortfall` names each offer that could not serve its lines. */
export class StockRejectedPayload {
  @IsUUID()
  orderId!: string;

  @IsIn(RESERVATION_REFUSALS)
  reason!: ReservationRefusal;

  @ValidateNested({ each: true })
  @Type(() => StockShortfallPayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  shortfall!: StockShortfallPayload[];
}

export class AllocatedLinePayload {
  @IsUUID()
  lineId!: string;

  @IsUUID()
  offerId!: string;

  @Matches(CODE_ID_PATTERN, { each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINE_QUANTITY)
  codeIds!: string[];
}

/** The order's reserved codes are sold to its buyer: which code ids went to which line. */
export class CodesAllocatedPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  buyerId!: string;

  @ValidateNested({ each: true })
  @Type(() => AllocatedLinePayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines!: AllocatedLinePayload[];
}

export const RELEASE_REASONS = ['cancelled', 'payment_failed', 'expired'] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** The order's reservations ended without a sale; their codes are available again. */
export class ReservationReleasedPayload {
  @IsUUID()
  orderId!: string;

  @IsIn(RELEASE_REASONS)
  reason!: ReleaseReason;
}

export const ALLOCATION_FAILURES = ['reservation_expired', 'reservation_released', 'not_reserved'] as const;
export type AllocationFailure = (typeof ALLOCATION_FAILURES)[number];

/**
 * Payment was captured but these lines have no codes to sell (their reservation had ended): the
 * money for them must go back to the buyer. Lines committed at the same time are in
 * `vault.allocation.committed`.
 */
export class AllocationFailedPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  buyerId!: string;

  @IsIn(ALLOCATION_FAILURES)
  reason!: AllocationFailure;

  @ValidateNested({ each: true })
  @Type(() => AllocationLinePayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines!: AllocationLinePayload[];
}

export const StockReserved = defineEvent('vault.allocation.reserved', Topics.VaultAllocation, StockReservedPayload);
export const StockRejected = defineEvent('vault.allocation.rejected', Topics.VaultAllocation, StockRejectedPayload);
export const CodesAllocated = defineEvent('vault.allocation.committed', Topics.VaultAllocation, CodesAllocatedPayload);
export const ReservationReleased = defineEvent('vault.allocation.released', Topics.VaultAllocation, ReservationReleasedPayload);
export const AllocationFailed = defineEvent('vault.allocation.failed', Topics.VaultAllocation, AllocationFailedPayload);
