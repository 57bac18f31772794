// Pure pricing rules shared by catalog (offer terms, comparison) and ordering (quotes, routing).
// No runtime dependencies: plain functions over integer fen, safe to use anywhere.
export {
  PricingError,
  priceQuantity,
  unitPriceAt,
  type OfferTerms,
  type PriceTier,
  type PricedQuantity,
  type PricingErrorCode,
} from './tier-pricing';
export { checkOfferTerms, MAX_TIERS, MAX_UNIT_PRICE, type CheckOfferTermsOptions, type TierProblem } from './offer-terms';
export {
  planPurchase,
  rankOffersForQuantity,
  type PlannedLine,
  type PurchasePlan,
  type SplitCandidate,
} from './purchase-plan';
