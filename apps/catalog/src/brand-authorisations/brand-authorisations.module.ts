import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BrandsModule } from '../brands/brands.module';
import { OfferLifecycleModule } from '../offers/offer-lifecycle.module';
import { AuthorisationExpiry } from './authorisation-expiry';
import { BrandAuthorisationEntity } from './brand-authorisation.entity';
import { BrandAuthorisationsController } from './brand-authorisations.controller';
import { BrandAuthorisationsService } from './brand-authorisations.service';

@Module({
  imports: [TypeOrmModule.forFeature([BrandAuthorisationEntity]), BrandsModule, OfferLifecycleModule],
  controllers: [BrandAuthorisationsController],
  providers: [BrandAuthorisationsService, AuthorisationExpiry],
  exports: [BrandAuthorisationsService],
})
export class BrandAuthorisationsModule {}
