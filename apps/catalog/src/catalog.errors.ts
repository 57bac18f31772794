import { DomainError } from '@kami/platform';

/** Stable codes of the catalog domain (see each factory for when they are used). */
export const CatalogErrorCode = {
  ProductNotFound: 'product_not_found',
  ProductNotActive: 'product_not_active',
  InvalidProductTransition: 'invalid_product_transition',
  ProductHasOffers: 'product_has_offers',
  BrandNotFound: 'brand_not_found',
  BrandNameTaken: 'brand_name_taken',
  CategoryNotFound: 'category_not_found',
  CategoryExists: 'category_exists',
  OfferNotFound: 'offer_not_found',
  SkuTaken: 'sku_taken',
  BrandNotAuthorised: 'brand_not_authorised',
  InvalidOfferTransition: 'invalid_offer_transition',
  AuthorisationNotFound: 'brand_authorisation_not_found',
  AuthorisationAlreadyPending: 'brand_authorisation_already_pending',
  InvalidAuthorisationTransition: 'invalid_brand_authorisation_transition',
  QuantityNotOrderable: 'quantity_not_orderable',
  DepositInsufficient: 'deposit_insufficient',
} as const;

export class CatalogError extends DomainError {}

export const productNotFound = (): CatalogError => new CatalogError(CatalogErrorCode.ProductNotFound, 404, 'No such product.');
export const productNotActive = (status: string): CatalogError =>
  new CatalogError(CatalogErrorCode.ProductNotActive, 409, `The product is ${status}; offers can only be listed on an active product.`, { productStatus: status });
export const invalidProductTransition = (from: string, action: string): CatalogError =>
  new CatalogError(CatalogErrorCode.InvalidProductTransition, 409, `A ${from} product cannot be ${action}.`, { productStatus: from });
export const productHasOffers = (field: string): CatalogError =>
  new CatalogError(CatalogErrorCode.ProductHasOffers, 409, `The product already has offers priced in its currency; ${field} can no longer change.`);
export const brandNameTaken = (): CatalogError => new CatalogError(CatalogErrorCode.BrandNameTaken, 409, 'A brand with this name already exists.');
export const brandNotFound = (): CatalogError => new CatalogError(CatalogErrorCode.BrandNotFound, 404, 'No such brand.');
export const categoryExists = (): CatalogError => new CatalogError(CatalogErrorCode.CategoryExists, 409, 'A category with this code already exists.');
export const offerNotFound = (): CatalogError =>
  // Also for another supplier's offer: whether it exists is none of the caller's business.
  new CatalogError(CatalogErrorCode.OfferNotFound, 404, 'No such offer.');
export const skuTaken = (): CatalogError => new CatalogError(CatalogErrorCode.SkuTaken, 409, 'You already have an offer with this SKU.');
export const brandNotAuthorised = (brandName: string): CatalogError =>
  new CatalogError(
    CatalogErrorCode.BrandNotAuthorised,
    403,
    `You need an approved, unexpired authorisation for the brand ${brandName} to list its products. Apply under brand authorisations.`,
  );
export const depositInsufficient = (): CatalogError =>
  new CatalogError(
    CatalogErrorCode.DepositInsufficient,
    409,
    'Your deposit (保证金) does not cover the platform minimum, so your offers cannot be active. Top it up under settlement (POST /api/v1/settlement/topups); paused offers resume by themselves once it does.',
  );
export const invalidOfferTransition = (from: string, action: string): CatalogError =>
  new CatalogError(CatalogErrorCode.InvalidOfferTransition, 409, `A ${from} offer cannot be ${action}.`, { offerStatus: from });
export const authorisationNotFound = (): CatalogError =>
  new CatalogError(CatalogErrorCode.AuthorisationNotFound, 404, 'No such brand authorisation.');
export const authorisationAlreadyPending = (): CatalogError =>
  new CatalogError(CatalogErrorCode.AuthorisationAlreadyPending, 409, 'An application for this brand is already waiting for review.');
export const invalidAuthorisationTransition = (from: string, action: string): CatalogError =>
  new CatalogError(CatalogErrorCode.InvalidAuthorisationTransition, 409, `A ${from} brand authorisation cannot be ${action}.`, { authorisationStatus: from });
