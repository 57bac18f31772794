import { Module, type DynamicModule } from '@nestjs/common';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { CatalogConfig } from './config/catalog.config';
import { CATALOG_ENTITIES, CATALOG_MIGRATIONS } from './database/catalog.migrations';

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
        }),
      ],
      controllers: [createWhoAmIController('catalog')],
    };
  }
}
