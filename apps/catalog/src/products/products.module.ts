import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BrandsModule } from '../brands/brands.module';
import { CategoriesModule } from '../categories/categories.module';
import { OfferLifecycleModule } from '../offers/offer-lifecycle.module';
import { ProductSearch } from './product-search';
import { ProductEntity } from './product.entity';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

@Module({
  imports: [TypeOrmModule.forFeature([ProductEntity]), BrandsModule, CategoriesModule, OfferLifecycleModule],
  controllers: [ProductsController],
  providers: [ProductsService, ProductSearch],
  exports: [ProductsService],
})
export class ProductsModule {}
