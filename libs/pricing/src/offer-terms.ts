import { isPositiveSafeInteger, type OfferTerms } from './tier-pricing';

/** 10,000,000 yuan per code: far above any real card, low enough that typical totals stay exact. */
export const MAX_UNIT_PRICE = 1_000_000_000;
/** Enough for any real volume ladder; bounds the work and the payload per offer. */
export const MAX_TIERS = 20;

export interface TierProblem {
  /** Path into the submitted body, e.g. `priceTiers.1.minQuantity`, so a form can mark the field. */
  field: string;
  message: string;
}

export interface CheckOfferTermsOptions {
  /** The product's face value in fen, when it has one. */
  faceValue?: number;
  /** Sellers must opt in explicitly to pricing a code above what it is worth. */
  allowAboveFaceValue?: boolean;
}

/**
 * Checks a supplier's terms exactly as submitted and reports every problem at once (empty = fine),
 * so a supplier fixes the whole form in one round trip instead of one error per request.
 * The order given matters: tiers must already be ascending, because a ladder typed out of order
 * is far more likely a mistake than an intention.
 */
export function checkOfferTerms(terms: OfferTerms, options: CheckOfferTermsOptions = {}): TierProblem[] {
  const problems: TierProblem[] = [];
  const add = (field: string, message: string): void => {
    problems.push({ field, message });
  };

  const { faceValue, allowAboveFaceValue } = options;
  if (faceValue !== undefined && !isPositiveSafeInteger(faceValue)) {
    // The face value comes from our own catalogue, not from the supplier: a bad one is a bug here.
    throw new RangeError(`faceValue must be a positive whole number of fen, got ${faceValue}`);
  }
  const capFaceValue = faceValue !== undefined && allowAboveFaceValue !== true;

  const tiers: readonly unknown[] = Array.isArray(terms.priceTiers) ? terms.priceTiers : [];
  if (!Array.isArray(terms.priceTiers) || tiers.length === 0) {
    add('priceTiers', 'must have at least one price tier');
  } else if (tiers.length > MAX_TIERS) {
    add('priceTiers', `must have at most ${MAX_TIERS} price tiers, got ${tiers.length}`);
  }

  let previousMin: number | undefined;
  let previousPrice: number | undefined;
  tiers.forEach((raw, index) => {
    const at = `priceTiers.${index}`;
    if (typeof raw !== 'object' || raw === null) {
      add(at, 'must be an object with minQuantity and unitPrice');
      previousMin = previousPrice = undefined;
      return;
    }
    const { minQuantity, unitPrice } = raw as Record<string, unknown>;

    const minOk = isPositiveSafeInteger(minQuantity);
    if (!minOk) {
      add(`${at}.minQuantity`, `must be a positive whole number of codes, got ${String(minQuantity)}`);
    } else if (previousMin !== undefined && minQuantity <= previousMin) {
      add(`${at}.minQuantity`, `must be greater than the previous tier's minQuantity (${previousMin}), got ${minQuantity}`);
    }

    const priceOk = isPositiveSafeInteger(unitPrice) && unitPrice <= MAX_UNIT_PRICE;
    if (!isPositiveSafeInteger(unitPrice)) {
      add(`${at}.unitPrice`, `must be a positive whole number of fen, got ${String(unitPrice)}`);
    } else if (unitPrice > MAX_UNIT_PRICE) {
      add(`${at}.unitPrice`, `must be at most ${MAX_UNIT_PRICE} fen, got ${unitPrice}`);
    } else {
      if (previousPrice !== undefined && unitPrice > previousPrice) {
        add(
          `${at}.unitPrice`,
          `must not be higher than the previous tier's unitPrice (${previousPrice}), got ${unitPrice}: buying more must never cost more per code`,
        );
      }
      if (capFaceValue && unitPrice > faceValue) {
        add(`${at}.unitPrice`, `is above the face value (${faceValue} fen), got ${unitPrice}; set allowAboveFaceValue to sell above face value`);
      }
    }

    previousMin = minOk ? minQuantity : undefined;
    previousPrice = priceOk ? unitPrice : undefined;
  });

  const minOrderOk = isPositiveSafeInteger(terms.minOrderQuantity);
  if (!minOrderOk) {
    add('minOrderQuantity', `must be a whole number of codes, at least 1, got ${String(terms.minOrderQuantity)}`);
  }

  const first = tiers[0] as Partial<Record<string, unknown>> | null | undefined;
  const firstMin = typeof first === 'object' && first !== null ? first.minQuantity : undefined;
  if (minOrderOk && isPositiveSafeInteger(firstMin) && firstMin > terms.minOrderQuantity) {
    add(
      'priceTiers.0.minQuantity',
      `must be at most minOrderQuantity (${terms.minOrderQuantity}), got ${firstMin}: otherwise an order of ${terms.minOrderQuantity} codes has no price`,
    );
  }

  const max = terms.maxOrderQuantity;
  if (max !== null) {
    if (!isPositiveSafeInteger(max)) {
      add('maxOrderQuantity', `must be null (no limit) or a positive whole number of codes, got ${String(max)}`);
    } else if (minOrderOk && max < terms.minOrderQuantity) {
      add('maxOrderQuantity', `must be at least minOrderQuantity (${terms.minOrderQuantity}), got ${max}`);
    }
  }

  return problems;
}
