/** Shapes of the API answers the supplier and operator pages read (see README and /api/docs). */

export interface PriceTier {
  minQuantity: number;
  /** fen */
  unitPrice: number;
}

export type OfferStatus = 'draft' | 'active' | 'paused' | 'delisted';

export interface Offer {
  id: string;
  sku: string;
  supplier: { id: string; name: string | null };
  product: { id: string; name: string; brandId: string; faceValue: number; status: string };
  currency: string;
  priceTiers: PriceTier[];
  minOrderQuantity: number;
  maxOrderQuantity: number | null;
  lowStockThreshold: number;
  allowAboveFaceValue: boolean;
  status: OfferStatus;
  pausedReason: string | null;
  stock: { available: number; low: boolean; updatedAt: string | null };
  createdAt: string;
  updatedAt: string;
}

export type BatchStatus = 'receiving' | 'held' | 'completed' | 'failed';
export const REFUSAL_REASONS = ['bad_format', 'duplicate_in_batch', 'duplicate_in_vault', 'expired'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface CodeCounts {
  available: number;
  reserved: number;
  sold: number;
  void: number;
}

export interface Batch {
  id: string;
  offerId: string;
  status: BatchStatus;
  source: 'json' | 'csv';
  fileName: string | null;
  linesReceived: number;
  accepted: number;
  refused: Record<RefusalReason, number>;
  failure: { code: string; detail: string } | null;
  createdAt: string;
  finishedAt: string | null;
  /** Only on GET /batches/{id}. */
  codes?: CodeCounts;
}

export interface Refusal {
  line: number;
  reason: RefusalReason;
  field?: string;
  firstLine?: number;
}

export interface OfferStock extends CodeCounts {
  offerId: string;
  uploaded: number;
  updatedAt: string | null;
}

/** GET /vault/offers/{id}/stock/history: the counts at `from`, then as they changed, oldest first. */
export interface OfferStockHistory {
  offerId: string;
  from: string;
  to: string;
  resolutionSeconds: number;
  points: (CodeCounts & { at: string; uploaded: number })[];
}

export type AuthorisationStatus = 'pending' | 'approved' | 'rejected' | 'revoked' | 'expired';

export interface BrandAuthorisation {
  id: string;
  supplierId: string;
  brand: { id: string; name: string };
  status: AuthorisationStatus;
  note: string;
  proof: { fileName: string; contentType: string; size: number; sha256: string };
  expiresAt: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface Deposit {
  supplierId: string;
  currency: string;
  balance: number;
  minimum: number;
  covered: boolean;
}

export interface LedgerAccount {
  kind: string;
  currency: string;
  balance: number;
}

export const DISPUTE_STATUSES = ['open', 'contested', 'replacing', 'replaced', 'replacement_failed', 'refunding', 'refunded', 'refund_refused', 'rejected'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export interface Dispute {
  id: string;
  codeId: string;
  orderId: string;
  lineId: string;
  productId: string;
  offerId: string;
  supplierId: string;
  buyerId?: string;
  reason: string;
  evidence?: string;
  status: DisputeStatus;
  failureCode?: string;
  deliveredAt: string;
  createdAt: string;
  updatedAt: string;
  resolvedAt?: string;
}

export interface CommissionRate {
  scope: 'supplier' | 'category';
  subject: string;
  rateBps: number;
  updatedBy?: string;
  updatedAt: string;
}

export interface CommissionRates {
  defaultRateBps: number;
  suppliers: CommissionRate[];
  categories: CommissionRate[];
}

export interface CommissionRateChange {
  id: string;
  scope: 'supplier' | 'category';
  subject: string;
  oldRateBps: number | null;
  newRateBps: number | null;
  changedByOrganisation: string;
  changedByPrincipal: string;
  changedAt: string;
}

export interface HealthCheck {
  status: 'up' | 'down';
  responseTimeMs: number;
  error?: string;
  details?: unknown;
}

export interface SystemHealth {
  status: 'ok' | 'degraded';
  gateway: Record<string, HealthCheck>;
  services: Record<string, HealthCheck>;
}
