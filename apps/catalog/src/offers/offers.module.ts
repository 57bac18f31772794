import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BrandAuthorisationsModule } from '../brand-authorisations/brand-authorisations.module';
import { DepositsModule } from '../deposits/deposits.module';
import { ProductEntity } from '../products/product.entity';
import { OfferEntity } from './offer.entity';
import { OffersController } from './offers.controller';
import { OffersService } from './offers.service';

@Module({
  imports: [TypeOrmModule.forFeature([OfferEntity, ProductEntity]), BrandAuthorisationsModule, DepositsModule],
  controllers: [OffersController],
  providers: [OffersService],
})
export class OffersModule {}
