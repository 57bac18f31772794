import { Module } from '@nestjs/common';
import { DeliveryNotifications } from './delivery-notifications';
import { OrderDelivery } from './order-delivery';
import { OrderDeliveryConsumer } from './order-delivery.consumer';

/** Orders' codes becoming their buyers' (the delivery ledger), and the announcements long-polls wait for. */
@Module({ providers: [OrderDelivery, OrderDeliveryConsumer, DeliveryNotifications], exports: [DeliveryNotifications] })
export class OrdersModule {}
