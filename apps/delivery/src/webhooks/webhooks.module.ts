import { Module } from '@nestjs/common';
import { VaultModule } from '../vault/vault.module';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookCreatorsConsumer } from './webhook-creators.consumer';
import { WebhookEventsConsumer } from './webhook-events.consumer';
import { WebhookSecrets } from './webhook-secrets';

/** Signed webhooks (Standard Webhooks) about a merchant's orders: endpoints, deliveries with retries, the attempt log, replays. */
@Module({
  imports: [VaultModule],
  controllers: [WebhookEndpointsController, WebhookDeliveriesController],
  providers: [WebhookSecrets, WebhookEndpointsService, WebhookDeliveriesService, WebhookEventsConsumer, WebhookCreatorsConsumer, WebhookDispatcher],
})
export class WebhooksModule {}
