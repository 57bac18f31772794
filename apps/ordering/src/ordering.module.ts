import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@kami/contracts';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { OrderingConfig } from './config/ordering.config';
import { ORDERING_ENTITIES, ORDERING_MIGRATIONS } from './database/ordering.migrations';
import { OrdersModule } from './orders/orders.module';
import { ProjectionsModule } from './projections/projections.module';
import { RestockModule } from './restock/restock.module';
import { SagaModule } from './saga/saga.module';

/** The ordering service: wholesale orders, quotes, best-price routing and the order saga. */
@Module({})
export class OrderingModule {
  static register(config: OrderingConfig): DynamicModule {
    return {
      module: OrderingModule,
      imports: [
        PlatformModule.forRoot({
          service: 'ordering',
          config,
          entities: ORDERING_ENTITIES,
          migrations: ORDERING_MIGRATIONS,
          producesTopics: [Topics.OrderingOrder, Topics.OrderingRestock],
        }),
        ProjectionsModule,
        OrdersModule,
        SagaModule,
        RestockModule,
      ],
      // Registered before the orders routes (root module first), so /orders/whoami is not taken for an order id.
      controllers: [createWhoAmIController('orders')],
    };
  }
}
