import { planPurchase, priceQuantity, PricingError, type PriceTier, type SplitCandidate } from '@kami/pricing';

/** An offer as ordering's projection holds it, with the stock vault last reported. */
export interface RoutableOffer {
  offerId: string;
  productId: string;
  supplierId: string;
  currency: string;
  status: string;
  priceTiers: PriceTier[];
  minOrderQuantity: number;
  maxOrderQuantity: number | null;
  /** Codes available as vault last reported (0 when vault never reported). */
  available: number;
}

/** A line as the merchant asked for it: a product (routed) or one offer, a quantity, an optional price ceiling. */
export interface RequestedLine {
  productId?: string;
  offerId?: string;
  quantity: number;
  maxUnitPrice?: number;
}

/** A line as ordering will place it: one offer, its supplier, a quantity and the tier price fixed now. */
export interface RoutedLine {
  /** Index of the requested line it serves (a product line may become several routed lines). */
  requestIndex: number;
  productId: string;
  offerId: string;
  supplierId: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
  maxUnitPrice: number | null;
}

export interface Quote {
  currency: string;
  total: number;
  lines: RoutedLine[];
}

export interface Shortfall {
  line: number;
  requested: number;
  available: number;
}

/** Why a request cannot be quoted; each maps to a stable problem code in orders.errors. */
export type QuoteRefusal =
  | { kind: 'offer_not_found'; line: number }
  | { kind: 'offer_unavailable'; line: number; status: string }
  | { kind: 'product_unavailable'; line: number }
  | { kind: 'quantity_not_orderable'; line: number; reason: string }
  | { kind: 'insufficient_stock'; shortfall: Shortfall[] }
  | { kind: 'price_above_limit'; line: number; offerId: string; unitPrice: number; maxUnitPrice: number }
  | { kind: 'mixed_currencies'; currencies: string[] }
  | { kind: 'amount_too_large' };

export type QuoteResult = { ok: true; quote: Quote } | { ok: false; refusal: QuoteRefusal };

const CANNOT_SERVE = new Set(['below_minimum_quantity', 'above_maximum_quantity', 'no_price_for_quantity']);

/**
 * Prices and routes an order from a snapshot of offers (pure: the caller loads the snapshot).
 *
 * - An offer line uses that offer: it must be active, have the stock, and allow the quantity.
 * - A product line goes to the product's active offers with stock, best price first, split when
 *   one has too little (libs/pricing `planPurchase`, the same rule as catalog's comparison).
 * - Lines draw on the same stock in order, so two lines of one offer never count its codes twice.
 * - Every routed unit price must be at most the line's maxUnitPrice; all lines share one currency.
 *
 * Stock shortfalls of all lines are collected into one refusal; any other refusal is the first found.
 */
export function quoteOrder(requested: readonly RequestedLine[], offers: readonly RoutableOffer[]): QuoteResult {
  const byId = new Map(offers.map((o) => [o.offerId, o]));
  const left = new Map(offers.map((o) => [o.offerId, Math.max(0, o.available)]));
  const lines: RoutedLine[] = [];
  const shortfall: Shortfall[] = [];

  try {
    for (const [index, line] of requested.entries()) {
      if (line.offerId !== undefined) {
        const offer = byId.get(line.offerId);
        if (!offer) return refuse({ kind: 'offer_not_found', line: index });
        if (offer.status !== 'active') return refuse({ kind: 'offer_unavailable', line: index, status: offer.status });
        let priced;
        try {
          priced = priceQuantity(offer, line.quantity);
        } catch (error) {
          if (error instanceof PricingError && CANNOT_SERVE.has(error.code)) {
            return refuse({ kind: 'quantity_not_orderable', line: index, reason: error.message });
          }
          throw error;
        }
        const available = left.get(offer.offerId) ?? 0;
        if (available < line.quantity) {
          shortfall.push({ line: index, requested: line.quantity, available });
          continue;
        }
        left.set(offer.offerId, available - line.quantity);
        lines.push(routed(index, offer, priced.quantity, priced.unitPrice, priced.total, line.maxUnitPrice));
        continue;
      }

      const productOffers = offers.filter((o) => o.productId === line.productId && o.status === 'active');
      if (productOffers.length === 0) return refuse({ kind: 'product_unavailable', line: index });
      const candidates: SplitCandidate[] = productOffers.map((o) => ({
        offerId: o.offerId,
        priceTiers: o.priceTiers,
        minOrderQuantity: o.minOrderQuantity,
        maxOrderQuantity: o.maxOrderQuantity,
        available: left.get(o.offerId) ?? 0,
      }));
      const plan = planPurchase(candidates, line.quantity);
      if (plan.shortfall > 0) {
        shortfall.push({ line: index, requested: line.quantity, available: plan.quantity });
        continue;
      }
      for (const planned of plan.lines) {
        const offer = byId.get(planned.offerId)!;
        left.set(offer.offerId, (left.get(offer.offerId) ?? 0) - planned.quantity);
        lines.push(routed(index, offer, planned.quantity, planned.unitPrice, planned.total, line.maxUnitPrice));
      }
    }
  } catch (error) {
    if (error instanceof PricingError && error.code === 'amount_too_large') return refuse({ kind: 'amount_too_large' });
    throw error;
  }

  if (shortfall.length > 0) return refuse({ kind: 'insufficient_stock', shortfall });

  const above = lines.find((l) => l.maxUnitPrice !== null && l.unitPrice > l.maxUnitPrice);
  if (above) {
    return refuse({ kind: 'price_above_limit', line: above.requestIndex, offerId: above.offerId, unitPrice: above.unitPrice, maxUnitPrice: above.maxUnitPrice! });
  }

  const currencies = [...new Set(lines.map((l) => byId.get(l.offerId)!.currency))].sort();
  if (currencies.length !== 1) return refuse({ kind: 'mixed_currencies', currencies });

  const total = lines.reduce((sum, l) => sum + l.lineTotal, 0);
  if (!Number.isSafeInteger(total)) return refuse({ kind: 'amount_too_large' });
  return { ok: true, quote: { currency: currencies[0]!, total, lines } };
}

function refuse(refusal: QuoteRefusal): QuoteResult {
  return { ok: false, refusal };
}

function routed(index: number, offer: RoutableOffer, quantity: number, unitPrice: number, lineTotal: number, maxUnitPrice: number | undefined): RoutedLine {
  return {
    requestIndex: index,
    productId: offer.productId,
    offerId: offer.offerId,
    supplierId: offer.supplierId,
    quantity,
    unitPrice,
    lineTotal,
    maxUnitPrice: maxUnitPrice ?? null,
  };
}
