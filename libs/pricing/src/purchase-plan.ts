import {
  assertQuantity,
  isPositiveSafeInteger,
  priceQuantity,
  PricingError,
  type OfferTerms,
  type PricedQuantity,
  type PricingErrorCode,
} from './tier-pricing';

export interface SplitCandidate extends OfferTerms {
  offerId: string;
  /** Codes in stock for this offer right now. */
  available: number;
}

export interface PlannedLine {
  offerId: string;
  quantity: number;
  unitPrice: number;
  total: number;
}

export interface PurchasePlan {
  requested: number;
  /** Codes the plan actually covers: requested - shortfall. */
  quantity: number;
  total: number;
  shortfall: number;
  lines: PlannedLine[];
}

// An offer that refuses a quantity for one of these reasons simply cannot serve it; anything
// else (an unrepresentable amount) is a problem with the request itself and must surface.
const CANNOT_SERVE: ReadonlySet<PricingErrorCode> = new Set<PricingErrorCode>([
  'below_minimum_quantity',
  'above_maximum_quantity',
  'no_price_for_quantity',
]);

function priceIfServable(terms: OfferTerms, quantity: number): PricedQuantity | null {
  try {
    return priceQuantity(terms, quantity);
  } catch (error) {
    if (error instanceof PricingError && CANNOT_SERVE.has(error.code)) return null;
    throw error;
  }
}

// Code-unit order, not locale order: the same inputs must give the same plan on every machine.
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Best-price plan for `requested` codes across several offers' stock.
 *
 * Deliberately a greedy rule a buyer can check by hand rather than an optimal solver: each step
 * takes the offer that is cheapest per code for the amount it would supply (its tier price at
 * that amount), as much of it as possible, and never uses an offer twice. Ties go to the offer
 * supplying more (fewer lines to fulfil), then to the smaller offerId, so the plan is reproducible.
 */
export function planPurchase(candidates: readonly SplitCandidate[], requested: number): PurchasePlan {
  assertQuantity(requested);
  const used = new Set<number>();
  const lines: PlannedLine[] = [];
  let remaining = requested;
  let total = 0;

  while (remaining > 0) {
    let best: { index: number; offerId: string; priced: PricedQuantity } | undefined;
    for (const [index, candidate] of candidates.entries()) {
      if (used.has(index)) continue;
      const take = Math.min(remaining, candidate.available, candidate.maxOrderQuantity ?? Infinity);
      if (!isPositiveSafeInteger(take)) continue; // no stock left to sell
      const priced = priceIfServable(candidate, take);
      if (priced === null) continue;
      if (
        best === undefined ||
        priced.unitPrice < best.priced.unitPrice ||
        (priced.unitPrice === best.priced.unitPrice &&
          (priced.quantity > best.priced.quantity ||
            (priced.quantity === best.priced.quantity && compareIds(candidate.offerId, best.offerId) < 0)))
      ) {
        best = { index, offerId: candidate.offerId, priced };
      }
    }
    if (best === undefined) break;

    used.add(best.index);
    const { quantity, unitPrice, total: lineTotal } = best.priced;
    lines.push({ offerId: best.offerId, quantity, unitPrice, total: lineTotal });
    remaining -= quantity;
    total += lineTotal;
    if (!Number.isSafeInteger(total)) {
      throw new PricingError('amount_too_large', `the plan for ${requested} codes is too large to represent exactly`, { requested });
    }
  }

  // Stable sort: equal prices keep the order they were chosen in.
  lines.sort((a, b) => a.unitPrice - b.unitPrice);
  const quantity = requested - remaining;
  return { requested, quantity, total, shortfall: remaining, lines };
}

/**
 * Offers that can fill the whole `quantity` as a single order, cheapest per code first (at that
 * quantity, since tiers make a dear-at-one offer cheap in bulk), ties by offerId. Offers without
 * the stock, outside their order limits, or without a price for it are left out.
 */
export function rankOffersForQuantity<T extends SplitCandidate>(
  candidates: readonly T[],
  quantity: number,
): Array<{ candidate: T; priced: PricedQuantity }> {
  assertQuantity(quantity);
  const ranked: Array<{ candidate: T; priced: PricedQuantity }> = [];
  for (const candidate of candidates) {
    if (!(candidate.available >= quantity)) continue;
    const priced = priceIfServable(candidate, quantity);
    if (priced !== null) ranked.push({ candidate, priced });
  }
  return ranked.sort(
    (a, b) => a.priced.unitPrice - b.priced.unitPrice || compareIds(a.candidate.offerId, b.candidate.offerId),
  );
}
