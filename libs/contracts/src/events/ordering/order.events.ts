// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsOptional, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/** The most codes one order line may ask for: keeps a committed event's code id list under Kafka's message size. */
export const MAX_LINE_QUANTITY = 50_000;
export const MAX_ORDER_LINES = 100;
/** A catalog category code: a dotted path of lower-case segments (`game-cards.mobile`). */
export const CATEGORY_CODE_PATTERN = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;

/** Where an order's codes go: read per order (portal, API, webhook), or kept as the buyer's purchased stock, pulled one by one. */
export const ORDER_FULFILMENTS = ['codes', 'stock'] as const;
export type OrderFulfilment = (typeof ORDER_FULFILMENTS)[number];

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

  /** The catalog product the offer sells: purchased stock is kept per product. */
  @IsUUID()
  productId!: string;

  /**
   * The product's category (catalog's dotted code, `game-cards.mobile`) when the order was placed:
   * settlement applies the category's commission rate. Absent: the supplier's or the default rate.
   */
  @IsOptional()
  @Matches(CATEGORY_CODE_PATTERN)
  @MaxLength(200)
  categoryCode?: string;
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

  /** Where the codes go once sold: revealed to the buyer per order (`codes`), or into its purchased stock per product (`stock`). */
  @IsIn(ORDER_FULFILMENTS)
  fulfilment!: OrderFulfilment;
}

/** `payment_mismatch`: settlement reported a capture that is not this order's total, currency or buyer. */
export const ORDER_CANCEL_REASONS = ['out_of_stock', 'insufficient_balance', 'payment_timeout', 'cancelled_by_buyer', 'failed', 'payment_mismatch'] as const;
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
