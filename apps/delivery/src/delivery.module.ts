import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@kami/contracts';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import { CodesModule } from './codes/codes.module';
import type { DeliveryConfig } from './config/delivery.config';
import { DELIVERY_ENTITIES, DELIVERY_MIGRATIONS } from './database/delivery.migrations';
import { DisputesModule } from './disputes/disputes.module';
import { OrdersModule } from './orders/orders.module';
import { StockModule } from './stock/stock.module';
import { VaultModule } from './vault/vault.module';
import { WebhooksModule } from './webhooks/webhooks.module';

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
          producesTopics: [Topics.DeliveryOrder, Topics.DeliveryDispute, Topics.DeliveryReplacement, Topics.DeliveryStock, Topics.DeliveryRestock],
        }),
        VaultModule,
        OrdersModule,
        CodesModule,
        StockModule,
        WebhooksModule,
        DisputesModule,
      ],
      controllers: [createWhoAmIController('delivery')],
    };
  }
}
