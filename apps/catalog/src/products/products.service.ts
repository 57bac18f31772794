import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Messaging, ValidationFailedError, type CursorPage, type Identity } from '@kami/platform';
import { recordAudit } from '../audit/audit-log';
import { BrandsService } from '../brands/brands.service';
import { CategoriesService } from '../categories/categories.service';
import { invalidProductTransition, productHasOffers, productNotFound } from '../catalog.errors';
import { OfferLifecycle } from '../offers/offer-lifecycle';
import { OfferEntity } from '../offers/offer.entity';
import { codeFormatProblems } from './code-format';
import { appendProductChanged, type ProductChange } from './product-events';
import { ProductSearch } from './product-search';
import { ProductEntity } from './product.entity';
import type { CreateProductDto, ProductSearchItemDto, SearchProductsQuery, UpdateProductDto } from './product.dto';

const searchTextOf = (name: string, brandName: string, region: string): string => `${name} ${brandName} ${region}`.toLowerCase();

/**
 * Products: operators create and curate them; a supplier's proposal waits for an operator.
 * Every change bumps the version and goes out as a full snapshot on catalog.product.v1.
 */
@Injectable()
export class ProductsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly brands: BrandsService,
    private readonly categories: CategoriesService,
    private readonly search: ProductSearch,
    private readonly offerLifecycle: OfferLifecycle,
  ) {}

  find(identity: Identity, query: SearchProductsQuery): Promise<CursorPage<ProductSearchItemDto>> {
    return this.search.search(identity, query);
  }

  async get(identity: Identity, productId: string): Promise<ProductSearchItemDto> {
    const product = await this.search.get(identity, productId);
    if (!product) throw productNotFound();
    return product;
  }

  /** Checks everything that needs the database, before anything is written. */
  private async checkReferences(input: Partial<CreateProductDto>): Promise<string | undefined> {
    const problems = input.codeFormat ? codeFormatProblems(input.codeFormat) : [];
    if (problems.length > 0) throw new ValidationFailedError(problems);
    if (input.categoryCode !== undefined) await this.categories.assertExists(input.categoryCode);
    return input.brandId !== undefined ? (await this.brands.getForInput(input.brandId)).name : undefined;
  }

  async create(identity: Identity, input: CreateProductDto, traceId?: string): Promise<ProductSearchItemDto> {
    const brandName = (await this.checkReferences(input))!;
    const proposal = identity.organisationType === 'supplier';
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ProductEntity);
      const product = repository.create({
        id,
        name: input.name.trim(),
        brandId: input.brandId,
        categoryCode: input.categoryCode,
        faceValue: input.faceValue,
        currency: input.currency ?? 'CNY',
        region: input.region,
        redemptionInstructions: input.redemptionInstructions ?? '',
        codePattern: input.codeFormat.codePattern,
        pinPolicy: input.codeFormat.pin,
        pinPattern: input.codeFormat.pinPattern ?? null,
        serialRequired: input.codeFormat.serialRequired ?? false,
        status: proposal ? 'proposed' : 'active',
        proposedBy: proposal ? identity.organisationId : null,
        reviewNote: null,
        searchText: searchTextOf(input.name, brandName, input.region),
        version: 1,
      });
      await repository.insert(product);
      await appendProductChanged(this.messaging, manager, await repository.findOneByOrFail({ id }), brandName, 'created', traceId);
    });
    this.messaging.relay.nudge();
    return this.get(identity, id);
  }

  async update(identity: Identity, productId: string, input: UpdateProductDto, traceId?: string): Promise<ProductSearchItemDto> {
    const newBrandName = await this.checkReferences(input);
    await this.change(productId, 'updated', traceId, async (product, manager) => {
      if (product.status === 'retired' || product.status === 'rejected') throw invalidProductTransition(product.status, 'changed');
      const format = input.codeFormat;
      // Offers copy the product's currency; a product already offered cannot change it.
      if (input.currency && input.currency !== product.currency && (await manager.getRepository(OfferEntity).existsBy({ productId }))) {
        throw productHasOffers('currency');
      }
      if (input.brandId && input.brandId !== product.brandId) {
        await this.offerLifecycle.moveProductToBrand(manager, productId, input.brandId, identity, traceId);
      }
      const brandName = newBrandName ?? (await this.brands.getForInput(product.brandId)).name;
      const name = input.name?.trim() ?? product.name;
      const region = input.region ?? product.region;
      Object.assign(product, {
        name,
        brandId: input.brandId ?? product.brandId,
        categoryCode: input.categoryCode ?? product.categoryCode,
        faceValue: input.faceValue ?? product.faceValue,
        currency: input.currency ?? product.currency,
        region,
        redemptionInstructions: input.redemptionInstructions ?? product.redemptionInstructions,
        codePattern: format?.codePattern ?? product.codePattern,
        pinPolicy: format?.pin ?? product.pinPolicy,
        pinPattern: format ? (format.pinPattern ?? null) : product.pinPattern,
        serialRequired: format ? (format.serialRequired ?? false) : product.serialRequired,
        searchText: searchTextOf(name, brandName, region),
      });
      await recordAudit(manager, identity, 'product.updated', { type: 'product', id: productId }, { fields: Object.keys(input) });
      return brandName;
    });
    return this.get(identity, productId);
  }

  async approve(identity: Identity, productId: string, note: string | undefined, traceId?: string): Promise<ProductSearchItemDto> {
    return this.review(identity, productId, 'approved', note, traceId);
  }

  async reject(identity: Identity, productId: string, note: string | undefined, traceId?: string): Promise<ProductSearchItemDto> {
    return this.review(identity, productId, 'rejected', note, traceId);
  }

  private async review(identity: Identity, productId: string, decision: 'approved' | 'rejected', note: string | undefined, traceId?: string): Promise<ProductSearchItemDto> {
    await this.change(productId, decision, traceId, async (product, manager) => {
      if (product.status !== 'proposed') throw invalidProductTransition(product.status, decision);
      product.status = decision === 'approved' ? 'active' : 'rejected';
      product.reviewNote = note ?? null;
      await recordAudit(manager, identity, `product.${decision}`, { type: 'product', id: productId }, { note: note ?? null });
      return undefined;
    });
    return this.get(identity, productId);
  }

  /** Retiring a product pauses every active offer of it (with their events). */
  async retire(identity: Identity, productId: string, note: string | undefined, traceId?: string): Promise<ProductSearchItemDto> {
    await this.change(productId, 'retired', traceId, async (product, manager) => {
      if (product.status !== 'active') throw invalidProductTransition(product.status, 'retired');
      product.status = 'retired';
      product.reviewNote = note ?? product.reviewNote;
      await this.offerLifecycle.pauseActive(manager, { productId }, 'product_retired', identity, traceId);
      await recordAudit(manager, identity, 'product.retired', { type: 'product', id: productId }, { note: note ?? null });
      return undefined;
    });
    return this.get(identity, productId);
  }

  /** Locks the product, applies `mutate`, bumps the version and writes the snapshot event. */
  private async change(
    productId: string,
    change: ProductChange,
    traceId: string | undefined,
    mutate: (product: ProductEntity, manager: EntityManager) => Promise<string | undefined>,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ProductEntity);
      const product = await repository.findOne({ where: { id: productId }, lock: { mode: 'pessimistic_write' } });
      if (!product) throw productNotFound();
      const brandName = (await mutate(product, manager)) ?? (await this.brands.getForInput(product.brandId)).name;
      product.version += 1;
      await repository.save(product);
      await appendProductChanged(this.messaging, manager, product, brandName, change, traceId);
    });
    this.messaging.relay.nudge();
  }
}
