import { Module, type DynamicModule } from '@nestjs/common';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { OrderingConfig } from './config/ordering.config';
import { ORDERING_ENTITIES, ORDERING_MIGRATIONS } from './database/ordering.migrations';

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
        }),
      ],
      controllers: [createWhoAmIController('orders')],
    };
  }
}
