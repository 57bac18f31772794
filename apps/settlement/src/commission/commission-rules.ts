/** Where a line's commission rate came from: the supplier's own rate wins over its category's, which wins over the default. */
export type RateSource = 'supplier' | 'category' | 'default';

export interface ResolvedRate {
  rateBps: number;
  source: RateSource;
}

/** The rates in force: the default (COMMISSION_RATE_BPS), per supplier id, per category code. */
export interface CommissionRates {
  defaultBps: number;
  suppliers: ReadonlyMap<string, number>;
  categories: ReadonlyMap<string, number>;
}

/**
 * A category and its ancestors, most specific first: `game-cards.mobile.tencent` →
 * `game-cards.mobile.tencent`, `game-cards.mobile`, `game-cards` (a rate set on a category covers
 * its subtree, as a category does in catalog search).
 */
export function categoryLineage(categoryCode: string): string[] {
  const segments = categoryCode.split('.');
  return segments.map((_, i) => segments.slice(0, segments.length - i).join('.'));
}

/** The most specific rate for a line: its supplier's, else its category's (nearest ancestor), else the default. */
export function rateFor(rates: CommissionRates, line: { supplierId: string; categoryCode?: string | null }): ResolvedRate {
  const supplier = rates.suppliers.get(line.supplierId);
  if (supplier !== undefined) return { rateBps: supplier, source: 'supplier' };
  for (const code of line.categoryCode ? categoryLineage(line.categoryCode) : []) {
    const category = rates.categories.get(code);
    if (category !== undefined) return { rateBps: category, source: 'category' };
  }
  return { rateBps: rates.defaultBps, source: 'default' };
}
