import { Global, Module } from '@nestjs/common';
import { CatalogProjection } from './catalog-projection.service';

/** The vault's copy of the catalog's products and offers, for every feature that needs an offer's owner or format. */
@Global()
@Module({ providers: [CatalogProjection], exports: [CatalogProjection] })
export class CatalogProjectionModule {}
