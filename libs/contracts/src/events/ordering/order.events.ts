// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsUUID, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/** The most codes one order line may ask for: keeps a committed event's code id list under Kafka's message size. */
export const MAX_LINE_QUANTITY = 50_000;
export const MAX_ORDER_LINES = 100;

/** A quantity of one offer on an order line: what the vault reserves and reports, without prices. */
export class OrderLineQuantityPayload {
  @IsUUID()
  lineId!: string;

  @IsUUID()
  offerId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

/**
 * One order line as ordering routed and priced it. A merchant's requested line that was split
 * across suppliers becomes several of these, each with its own id.
 */
export class OrderLinePayload extends OrderLineQuantityPayload {
  /** The offer's supplier: settlement pays it this line's share after the dispute window. */
  @IsUUID()
  supplierId!: string;

  /** The tier price fixed when the order was placed, in minor units (fen) of the order's currency. */
  @IsInt()
  @Min(0)
  unitPrice!: number;
}

/** An order was placed and priced; vault reserves its lines (all or none), settlement learns what to charge. */
export class OrderPlacedPayload {
  @IsUUID()
  orderId!: string;

  /** The buying (merchant) organisation: the only one that may later see the codes. */
  @IsUUID()
  buyerId!: string;

  @ValidateNested({ each: true })
  @Type(() => OrderLinePayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines!: OrderLinePayload[];

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  /** Sum of quantity × unitPrice over the lines, in minor units: what settlement moves into escrow. */
  @IsInt()
  @Min(0)
  total!: number;
}

export const ORDER_CANCEL_REASONS = ['out_of_stock', 'insufficient_balance', 'payment_timeout', 'cancelled_by_buyer', 'failed'] as const;
export type OrderCancelReason = (typeof ORDER_CANCEL_REASONS)[number];

/** An order was cancelled before its codes were sold; whatever was reserved for it is released. */
export class OrderCancelledPayload {
  @IsUUID()
  orderId!: string;

  @IsIn(ORDER_CANCEL_REASONS)
  reason!: OrderCancelReason;
}

export const OrderPlaced = defineEvent('ordering.order.placed', Topics.OrderingOrder, OrderPlacedPayload);
export const OrderCancelled = defineEvent('ordering.order.cancelled', Topics.OrderingOrder, OrderCancelledPayload);
