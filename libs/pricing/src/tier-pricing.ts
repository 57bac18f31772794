// Tiered wholesale prices. Money is integer fen in a JS number and must stay a safe integer:
// a product above Number.MAX_SAFE_INTEGER is refused rather than silently rounded.

export interface PriceTier {
  minQuantity: number;
  /** Fen per code. */
  unitPrice: number;
}

export interface OfferTerms {
  priceTiers: readonly PriceTier[];
  minOrderQuantity: number;
  maxOrderQuantity: number | null;
}

export type PricingErrorCode =
  | 'invalid_quantity'
  | 'below_minimum_quantity'
  | 'above_maximum_quantity'
  | 'no_price_for_quantity'
  | 'amount_too_large';

/** Carries a stable code so services can map it to a problem+json `code` without parsing messages. */
export class PricingError extends Error {
  constructor(
    readonly code: PricingErrorCode,
    message: string,
    readonly details: Record<string, number | null> = {},
  ) {
    super(message);
    this.name = 'PricingError';
  }
}

export interface PricedQuantity {
  quantity: number;
  unitPrice: number;
  total: number;
}

/** Quantities are whole codes; anything else (0, negatives, fractions, NaN, huge) is a caller bug or bad input. */
export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export function assertQuantity(quantity: number): void {
  if (!isPositiveSafeInteger(quantity)) {
    throw new PricingError('invalid_quantity', `quantity must be a positive whole number of codes, got ${quantity}`, {
      quantity: typeof quantity === 'number' && Number.isFinite(quantity) ? quantity : null,
    });
  }
}

/** Multiplies without ever returning a rounded amount. */
export function lineTotal(unitPrice: number, quantity: number): number {
  const total = unitPrice * quantity;
  if (!Number.isSafeInteger(total)) {
    throw new PricingError('amount_too_large', `${quantity} × ${unitPrice} fen is too large to represent exactly`, {
      unitPrice,
      quantity,
    });
  }
  return total;
}

/**
 * Price per code for `quantity`: the tier with the largest minQuantity <= quantity.
 * Tiers may come in any order (stored rows are not guaranteed sorted); if two tiers share a
 * minQuantity the cheaper wins, so the answer never depends on that order.
 */
export function unitPriceAt(tiers: readonly PriceTier[], quantity: number): number {
  assertQuantity(quantity);
  let best: PriceTier | undefined;
  for (const tier of tiers) {
    if (!(tier.minQuantity <= quantity)) continue;
    if (
      best === undefined ||
      tier.minQuantity > best.minQuantity ||
      (tier.minQuantity === best.minQuantity && tier.unitPrice < best.unitPrice)
    ) {
      best = tier;
    }
  }
  if (best === undefined) {
    const lowest = tiers.reduce<number | null>((min, t) => (min === null || t.minQuantity < min ? t.minQuantity : min), null);
    throw new PricingError('no_price_for_quantity', `no price tier covers a quantity of ${quantity}`, {
      quantity,
      lowestTierMinQuantity: lowest,
    });
  }
  return best.unitPrice;
}

/**
 * What an order of `quantity` costs under an offer's terms. The order limits are checked before
 * the tiers so a buyer below the minimum hears about the minimum, not about a missing price.
 */
export function priceQuantity(terms: OfferTerms, quantity: number): PricedQuantity {
  assertQuantity(quantity);
  const limits = { minOrderQuantity: terms.minOrderQuantity, maxOrderQuantity: terms.maxOrderQuantity, quantity };
  if (quantity < terms.minOrderQuantity) {
    throw new PricingError('below_minimum_quantity', `the minimum order is ${terms.minOrderQuantity} codes, asked for ${quantity}`, limits);
  }
  if (terms.maxOrderQuantity !== null && quantity > terms.maxOrderQuantity) {
    throw new PricingError('above_maximum_quantity', `the maximum order is ${terms.maxOrderQuantity} codes, asked for ${quantity}`, limits);
  }
  const unitPrice = unitPriceAt(terms.priceTiers, quantity);
  return { quantity, unitPrice, total: lineTotal(unitPrice, quantity) };
}
