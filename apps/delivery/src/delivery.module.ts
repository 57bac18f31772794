import { Module, type DynamicModule } from '@nestjs/common';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { DeliveryConfig } from './config/delivery.config';
import { DELIVERY_ENTITIES, DELIVERY_MIGRATIONS } from './database/delivery.migrations';

/** The delivery service: downloads, reseller pull, purchased stock, webhooks, disputes, the delivery ledger. */
@Module({})
export class DeliveryModule {
  static register(config: DeliveryConfig): DynamicModule {
    return {
      module: DeliveryModule,
      imports: [
        PlatformModule.forRoot({
          service: 'delivery',
          config,
          entities: DELIVERY_ENTITIES,
          migrations: DELIVERY_MIGRATIONS,
        }),
      ],
      controllers: [createWhoAmIController('delivery')],
    };
  }
}
