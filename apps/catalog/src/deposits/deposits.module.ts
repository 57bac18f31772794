import { Module } from '@nestjs/common';
import { OfferLifecycleModule } from '../offers/offer-lifecycle.module';
import { SupplierDeposits } from './supplier-deposits';

/** Suppliers' deposit statuses from settlement, and the gate they put on offers. */
@Module({ imports: [OfferLifecycleModule], providers: [SupplierDeposits], exports: [SupplierDeposits] })
export class DepositsModule {}
