import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { OrderSagaConsumer } from './order-saga.consumer';
import { PaymentTimeout } from './payment-timeout';

@Module({ imports: [OrdersModule], providers: [OrderSagaConsumer, PaymentTimeout] })
export class SagaModule {}
