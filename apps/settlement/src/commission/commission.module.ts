import { Module } from '@nestjs/common';
import { CommissionRatesController } from './commission-rates.controller';
import { CommissionRatesService } from './commission-rates.service';

/** Commission rates per supplier and per category, their audit, and which rate applies to a line. */
@Module({ controllers: [CommissionRatesController], providers: [CommissionRatesService], exports: [CommissionRatesService] })
export class CommissionModule {}
