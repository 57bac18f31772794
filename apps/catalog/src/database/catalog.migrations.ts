import { BrandAuthorisationEntity } from '../brand-authorisations/brand-authorisation.entity';
import { BrandEntity } from '../brands/brand.entity';
import { CategoryEntity } from '../categories/category.entity';
import { OfferEntity } from '../offers/offer.entity';
import { ProductEntity } from '../products/product.entity';
import { SupplierEntity } from '../suppliers/supplier.entity';
import { CreateCatalog1763800000000 } from './migrations/1763800000000-CreateCatalog';
import { SupplierDeposits1764600000000 } from './migrations/1764600000000-SupplierDeposits';

/** The catalog service's own migrations, in order, after the platform's (outbox and inbox). */
export const CATALOG_MIGRATIONS = [CreateCatalog1763800000000, SupplierDeposits1764600000000];

/** The catalog service's TypeORM entities. */
export const CATALOG_ENTITIES = [CategoryEntity, BrandEntity, SupplierEntity, ProductEntity, BrandAuthorisationEntity, OfferEntity];
