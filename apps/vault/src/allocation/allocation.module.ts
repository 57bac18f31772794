import { Global, Module } from '@nestjs/common';
import { ReservationCore } from '@kami/reservation';
import { OfferStockCache } from './offer-stock-cache';
import { reservationCoreProviders } from './reservation-core.provider';

/** Reservation and allocation of codes: the Redis core, its PostgreSQL guard, and the order saga. */
@Global()
@Module({
  providers: [...reservationCoreProviders, OfferStockCache],
  exports: [ReservationCore, OfferStockCache],
})
export class AllocationModule {}
