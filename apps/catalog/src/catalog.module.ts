import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@kami/contracts';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import { BrandAuthorisationsModule } from './brand-authorisations/brand-authorisations.module';
import { BrandsModule } from './brands/brands.module';
import { CategoriesModule } from './categories/categories.module';
import { ComparisonModule } from './comparison/comparison.module';
import type { CatalogConfig } from './config/catalog.config';
import { CATALOG_ENTITIES, CATALOG_MIGRATIONS } from './database/catalog.migrations';
import { DepositsModule } from './deposits/deposits.module';
import { OffersModule } from './offers/offers.module';
import { ProductsModule } from './products/products.module';
import { StockModule } from './stock/stock.module';
import { SuppliersModule } from './suppliers/suppliers.module';

/** The catalog service: products, supplier offers, brand authorisations, search and price comparison. */
@Module({})
export class CatalogModule {
  static register(config: CatalogConfig): DynamicModule {
    return {
      module: CatalogModule,
      imports: [
        PlatformModule.forRoot({
          service: 'catalog',
          config,
          entities: CATALOG_ENTITIES,
          migrations: CATALOG_MIGRATIONS,
          producesTopics: [Topics.CatalogProduct, Topics.CatalogOffer],
        }),
        CategoriesModule,
        BrandsModule,
        SuppliersModule,
        DepositsModule,
        ProductsModule,
        BrandAuthorisationsModule,
        OffersModule,
        ComparisonModule,
        StockModule,
      ],
      controllers: [createWhoAmIController('catalog')],
    };
  }
}
