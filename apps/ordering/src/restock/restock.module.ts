import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { RestockConsumer } from './restock.consumer';

/** Orders placed for merchants' auto-restock rules (commands from the delivery service). */
@Module({ imports: [OrdersModule], providers: [RestockConsumer] })
export class RestockModule {}
