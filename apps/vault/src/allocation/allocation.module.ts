import { Global, Module } from '@nestjs/common';
import { ReservationCore } from '@kami/reservation';
import { AllocationStore } from './allocation-store';
import { CodeExpiry } from './code-expiry';
import { Allocator } from './allocator';
import { OfferStockCache } from './offer-stock-cache';
import { OrderAllocations } from './order-allocations';
import { OrderSagaConsumer } from './order-saga.consumer';
import { ReservationExpiry } from './reservation-expiry';
import { ReservationRedisCloser, reservationCoreProviders } from './reservation-core.provider';
import { StockReconciler } from './stock-reconciler';

/** Reservation and allocation of codes: the Redis core, its PostgreSQL guard, the order saga, expiry (of reservations and of codes) and reconciliation. */
@Global()
@Module({
  providers: [...reservationCoreProviders, OfferStockCache, CodeExpiry, AllocationStore, Allocator, OrderAllocations, OrderSagaConsumer, ReservationExpiry, StockReconciler, ReservationRedisCloser],
  exports: [ReservationCore, OfferStockCache, Allocator],
})
export class AllocationModule {}
