/** Shapes of the public API's answers that the merchant pages read (catalog, ordering, delivery, identity). */
import type { ProductSearchItem } from '../../api/types';

export type { ProductSearchItem };

export interface PriceTier {
  minQuantity: number;
  /** fen */
  unitPrice: number;
}

export interface SupplierRef {
  id: string;
  name: string | null;
}

/** GET /api/v1/catalog/offers?productId= (merchants: active offers only). */
export interface Offer {
  id: string;
  sku: string;
  supplier: SupplierRef;
  currency: string;
  priceTiers: PriceTier[];
  minOrderQuantity: number;
  maxOrderQuantity: number | null;
  status: string;
  stock: { available: number; low: boolean; updatedAt: string | null };
}

export interface ComparedOffer {
  offerId: string;
  sku: string;
  supplier: SupplierRef & { record: { deliveredCodes: number; disputedCodes: number } | null };
  priceTiers: PriceTier[];
  minOrderQuantity: number;
  maxOrderQuantity: number | null;
  available: number;
  unitPrice: number;
  total: number;
}

/** GET /api/v1/catalog/products/{id}/offers?quantity=N */
export interface Comparison {
  productId: string;
  productName: string;
  faceValue: number;
  currency: string;
  quantity: number;
  offers: ComparedOffer[];
  split: { quantity: number; total: number; shortfall: number; lines: { offerId: string; supplier: SupplierRef; quantity: number; unitPrice: number; total: number }[] } | null;
}

export interface RoutedLine {
  requestIndex: number;
  productId: string;
  offerId: string;
  supplierId: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
  maxUnitPrice: number | null;
}

export interface OrderQuote {
  currency: string;
  total: number;
  lines: RoutedLine[];
  balance: number | null;
  covered: boolean | null;
}

export const ORDER_STATUSES = ['placed', 'reserved', 'paid', 'allocated', 'delivered', 'cancelled', 'failed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const ENDED_STATUSES: readonly OrderStatus[] = ['delivered', 'cancelled', 'failed'];

export interface OrderLine extends RoutedLine {
  id: string;
  allocated: number;
  failed: boolean;
}

export interface OrderTransition {
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string | null;
  eventId: string | null;
  at: string;
}

export interface Order {
  id: string;
  buyerId: string;
  status: OrderStatus;
  statusReason: string | null;
  externalRef: string | null;
  currency: string;
  total: number;
  fulfilment: 'codes' | 'stock';
  lines: OrderLine[];
  transitions?: OrderTransition[];
  createdAt: string;
  updatedAt: string;
}

export interface DeliveredCode {
  codeId: string;
  lineId: string;
  productId: string;
  offerId: string;
  code: string;
  pin?: string;
  serial?: string;
  redemptionUrl?: string;
  expiresAt: string | null;
  /** The dispute the buyer opened about this code, if any. */
  dispute: { id: string; status: string } | null;
  /** The disputed code this one replaced. */
  replacesCodeId?: string;
}

export interface OrderCodesPage {
  orderId: string;
  status: 'delivered' | 'pending' | 'cancelled';
  items: DeliveredCode[];
  nextCursor: string | null;
}

export interface StockLevel {
  productId: string;
  available: number;
  lowStockThreshold: number | null;
  low: boolean;
  lowSince: string | null;
  /** An auto-restock rule is set (only then is there one to read). */
  autoRestock: boolean;
}

export const RESTOCK_STATUSES = ['requested', 'placed', 'refused', 'delivered', 'cancelled', 'expired'] as const;

export interface RestockRule {
  productId: string;
  belowQuantity: number;
  orderQuantity: number;
  maxUnitPrice: number;
  updatedAt: string;
  lastRequest: {
    requestId: string;
    quantity: number;
    maxUnitPrice: number;
    status: (typeof RESTOCK_STATUSES)[number];
    orderId: string | null;
    refusalCode: string | null;
    requestedAt: string;
    updatedAt: string;
  } | null;
  /** After refused or cancelled restocks in a row, no new one before this time (null: at once). */
  retryAfter: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  /** What the key may do (the gateway's API key scopes). */
  scopes: ApiKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The scopes a merchant's key may hold, in the order the form offers them; the first six are a new key's defaults. */
export const MERCHANT_KEY_SCOPES = ['catalog:read', 'orders:read', 'orders:write', 'codes:read', 'stock:read', 'stock:pull', 'stock:manage', 'webhooks:manage', 'disputes:read', 'disputes:write', 'wallet:read', 'topups:write'] as const;
export type ApiKeyScope = (typeof MERCHANT_KEY_SCOPES)[number];
export const DEFAULT_MERCHANT_KEY_SCOPES: readonly ApiKeyScope[] = MERCHANT_KEY_SCOPES.slice(0, 6);

export const WEBHOOK_EVENTS = ['order.placed', 'order.delivered', 'order.cancelled', 'stock.low'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  includeCodes: boolean;
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  eventType: string;
  orderId: string | null;
  revision: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  round: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  failedAt: string | null;
}

export interface WebhookAttempt {
  attempt: number;
  round: number;
  attemptedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  succeeded: boolean;
}

export const DISPUTE_REASONS = ['code_invalid', 'code_already_redeemed', 'code_not_delivered', 'other'] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];
export const DISPUTE_STATUSES = ['open', 'replacing', 'replaced', 'replacement_failed', 'refunding', 'refunded', 'refund_refused', 'contested', 'rejected'] as const;

export interface Dispute {
  id: string;
  codeId: string;
  orderId: string;
  lineId: string;
  productId: string;
  reason: DisputeReason;
  evidence?: string;
  status: (typeof DISPUTE_STATUSES)[number];
  refundAmount?: number;
  refundCurrency?: string;
  failureCode?: string;
  deliveredAt: string;
  createdAt: string;
  updatedAt: string;
}
