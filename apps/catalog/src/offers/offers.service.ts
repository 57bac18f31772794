import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import type { OfferChange, OfferStatus } from '@kami/contracts';
import { Messaging, ValidationFailedError, type CursorPage, type Identity } from '@kami/platform';
import { checkOfferTerms, type PriceTier } from '@kami/pricing';
import { recordAudit } from '../audit/audit-log';
import { BrandAuthorisationsService } from '../brand-authorisations/brand-authorisations.service';
import { brandNotAuthorised, depositInsufficient, invalidOfferTransition, offerNotFound, productNotActive, skuTaken } from '../catalog.errors';
import { SupplierDeposits } from '../deposits/supplier-deposits';
import { ProductEntity } from '../products/product.entity';
import { appendOfferChanged } from './offer-events';
import { findVisibleOffer, listVisibleOffers } from './offer-view';
import { OfferEntity } from './offer.entity';
import type { CreateOfferDto, ListOffersQuery, OfferDto, UpdateOfferDto } from './offer.dto';

/** Which statuses each action starts from (delisted is final). */
const TRANSITIONS: Record<'activate' | 'pause' | 'delist', OfferStatus[]> = {
  activate: ['draft', 'paused'],
  pause: ['active'],
  delist: ['draft', 'active', 'paused'],
};

const sortTiers = (tiers: readonly PriceTier[]): PriceTier[] =>
  [...tiers].sort((a, b) => a.minQuantity - b.minQuantity).map(({ minQuantity, unitPrice }) => ({ minQuantity, unitPrice }));

/**
 * Supplier offers: a supplier's SKU of a product with tiered wholesale prices. Listing needs an
 * approved, unexpired authorisation for the product's brand, when the offer is created and every
 * time it is activated; activation also needs the supplier's deposit to cover the minimum. Every change goes out as a snapshot on catalog.offer.v1.
 */
@Injectable()
export class OffersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly authorisations: BrandAuthorisationsService,
    private readonly deposits: SupplierDeposits,
  ) {}

  async list(identity: Identity, query: ListOffersQuery): Promise<CursorPage<OfferDto>> {
    return listVisibleOffers(this.dataSource.manager, identity, query);
  }

  async get(identity: Identity, offerId: string): Promise<OfferDto> {
    const offer = await findVisibleOffer(this.dataSource.manager, identity, offerId);
    if (!offer) throw offerNotFound();
    return offer;
  }

  async create(identity: Identity, input: CreateOfferDto, traceId?: string): Promise<OfferDto> {
    const product = await this.dataSource.getRepository(ProductEntity).findOneBy({ id: input.productId });
    if (!product) throw new ValidationFailedError([{ field: 'productId', messages: ['unknown product; see GET /api/v1/catalog/products'] }]);
    if (product.status !== 'active') throw productNotActive(product.status);
    const terms = {
      priceTiers: input.priceTiers,
      minOrderQuantity: input.minOrderQuantity ?? 1,
      maxOrderQuantity: input.maxOrderQuantity ?? null,
    };
    this.assertTerms(terms, product, input.allowAboveFaceValue ?? false);
    if (!(await this.authorisations.holdsValidAuthorisation(this.dataSource.manager, identity.organisationId, product.brandId))) {
      throw brandNotAuthorised(await this.brandName(product.brandId));
    }
    const id = randomUUID();
    const tiers = sortTiers(terms.priceTiers);
    try {
      await this.dataSource.transaction(async (manager) => {
        const repository = manager.getRepository(OfferEntity);
        await repository.insert({
          id,
          supplierId: identity.organisationId,
          productId: product.id,
          brandId: product.brandId,
          sku: input.sku,
          currency: product.currency,
          priceTiers: tiers,
          baseUnitPrice: tiers[0]!.unitPrice,
          minOrderQuantity: terms.minOrderQuantity,
          maxOrderQuantity: terms.maxOrderQuantity,
          lowStockThreshold: input.lowStockThreshold ?? 0,
          allowAboveFaceValue: input.allowAboveFaceValue ?? false,
          status: 'draft',
          pausedReason: null,
          stockAvailable: 0,
          stockSequence: 0,
          stockUpdatedAt: null,
          version: 1,
        });
        await appendOfferChanged(this.messaging, manager, await repository.findOneByOrFail({ id }), 'created', traceId);
      });
    } catch (error) {
      const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
      if (driverError?.code === '23505' && driverError.constraint === 'UQ_OFFER_SUPPLIER_SKU') throw skuTaken();
      throw error;
    }
    this.messaging.relay.nudge();
    return this.get(identity, id);
  }

  async update(identity: Identity, offerId: string, input: UpdateOfferDto, traceId?: string): Promise<OfferDto> {
    await this.change(identity, offerId, 'updated', traceId, async (offer, manager) => {
      if (offer.status === 'delisted') throw invalidOfferTransition('delisted', 'changed');
      const product = await manager.getRepository(ProductEntity).findOneByOrFail({ id: offer.productId });
      const terms = {
        priceTiers: input.priceTiers ?? offer.priceTiers,
        minOrderQuantity: input.minOrderQuantity ?? offer.minOrderQuantity,
        maxOrderQuantity: input.maxOrderQuantity === undefined ? offer.maxOrderQuantity : input.maxOrderQuantity,
      };
      const allowAboveFaceValue = input.allowAboveFaceValue ?? offer.allowAboveFaceValue;
      this.assertTerms(terms, product, allowAboveFaceValue);
      const tiers = sortTiers(terms.priceTiers);
      Object.assign(offer, {
        priceTiers: tiers,
        baseUnitPrice: tiers[0]!.unitPrice,
        minOrderQuantity: terms.minOrderQuantity,
        maxOrderQuantity: terms.maxOrderQuantity,
        lowStockThreshold: input.lowStockThreshold ?? offer.lowStockThreshold,
        allowAboveFaceValue,
      });
    });
    return this.get(identity, offerId);
  }

  async activate(identity: Identity, offerId: string, traceId?: string): Promise<OfferDto> {
    await this.change(identity, offerId, 'activated', traceId, async (offer, manager) => {
      if (!TRANSITIONS.activate.includes(offer.status)) throw invalidOfferTransition(offer.status, 'activated');
      const product = await manager.getRepository(ProductEntity).findOneByOrFail({ id: offer.productId });
      if (product.status !== 'active') throw productNotActive(product.status);
      offer.status = 'active';
      offer.pausedReason = null;
    });
    return this.get(identity, offerId);
  }

  async pause(identity: Identity, offerId: string, traceId?: string): Promise<OfferDto> {
    await this.change(identity, offerId, 'paused', traceId, async (offer, manager) => {
      if (!TRANSITIONS.pause.includes(offer.status)) throw invalidOfferTransition(offer.status, 'paused');
      offer.status = 'paused';
      offer.pausedReason = identity.organisationType === 'operator' ? 'by_operator' : 'by_supplier';
      if (identity.organisationType === 'operator') await recordAudit(manager, identity, 'offer.paused', { type: 'offer', id: offerId }, { reason: 'by_operator' });
    });
    return this.get(identity, offerId);
  }

  async delist(identity: Identity, offerId: string, traceId?: string): Promise<OfferDto> {
    await this.change(identity, offerId, 'delisted', traceId, async (offer, manager) => {
      if (!TRANSITIONS.delist.includes(offer.status)) throw invalidOfferTransition(offer.status, 'delisted');
      offer.status = 'delisted';
      offer.pausedReason = null;
      if (identity.organisationType === 'operator') await recordAudit(manager, identity, 'offer.delisted', { type: 'offer', id: offerId });
    });
    return this.get(identity, offerId);
  }

  /** Checks tiers, quantities and face value; every problem is a 400 naming its field. */
  private assertTerms(terms: { priceTiers: readonly PriceTier[]; minOrderQuantity: number; maxOrderQuantity: number | null }, product: ProductEntity, allowAboveFaceValue: boolean): void {
    const problems = checkOfferTerms(terms, { faceValue: product.faceValue, allowAboveFaceValue });
    if (problems.length > 0) {
      const byField = new Map<string, string[]>();
      for (const { field, message } of problems) byField.set(field, [...(byField.get(field) ?? []), message]);
      throw new ValidationFailedError([...byField].map(([field, messages]) => ({ field, messages })));
    }
  }

  private async brandName(brandId: string): Promise<string> {
    const [brand]: { name: string }[] = await this.dataSource.query(`SELECT name FROM brand WHERE id = $1`, [brandId]);
    return brand?.name ?? 'this brand';
  }

  /**
   * Applies one change to an offer the caller may change (its supplier; operators may pause and
   * delist any), bumping the version and writing the snapshot event. Activation first takes the
   * supplier's deposit status and the brand authorisation rows FOR SHARE, so it serialises with a
   * deposit falling short or a revocation in the same lock order (deposit, authorisation, offer).
   */
  private async change(
    identity: Identity,
    offerId: string,
    change: OfferChange,
    traceId: string | undefined,
    mutate: (offer: OfferEntity, manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(OfferEntity);
      const ownerOnly = identity.organisationType !== 'operator' || change === 'updated' || change === 'activated';
      const where = ownerOnly ? { id: offerId, supplierId: identity.organisationId } : { id: offerId };
      const found = await repository.findOneBy(where);
      if (!found) throw offerNotFound();
      if (change === 'activated' && !(await this.deposits.covers(manager, found.supplierId, true))) throw depositInsufficient();
      if (change === 'activated' && !(await this.authorisations.holdsValidAuthorisation(manager, found.supplierId, found.brandId, true))) {
        throw brandNotAuthorised(await this.brandName(found.brandId));
      }
      const offer = await repository.findOneOrFail({ where, lock: { mode: 'pessimistic_write' } });
      await mutate(offer, manager);
      offer.version += 1;
      await repository.save(offer);
      await appendOfferChanged(this.messaging, manager, offer, change, traceId);
    });
    this.messaging.relay.nudge();
  }
}
