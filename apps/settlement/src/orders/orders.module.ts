import { Module } from '@nestjs/common';
import { CommissionModule } from '../commission/commission.module';
import { EscrowRelease } from './escrow-release';
import { OrderPayments } from './order-payments';
import { OrderSagaConsumer } from './order-saga.consumer';

/** Order payments: capture into escrow, refunds of unallocated lines, release after the dispute window. */
@Module({ imports: [CommissionModule], providers: [OrderPayments, OrderSagaConsumer, EscrowRelease] })
export class OrdersModule {}
