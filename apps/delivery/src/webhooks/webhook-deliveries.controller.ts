import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, type CursorPage, type Identity } from '@kami/platform';
import { ListWebhookDeliveriesQuery, WebhookDeliveryDetailDto, WebhookDeliveryDto, WebhookDeliveryPageDto } from './webhook.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

@ApiTags('webhooks')
@Access({ organisationTypes: ['merchant'] })
@Controller('api/v1/webhooks/deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get()
  @ApiOperation({ summary: 'Your webhook deliveries, newest first; filter by endpoint and status (pending, delivered, failed)' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListWebhookDeliveriesQuery): Promise<CursorPage<WebhookDeliveryDto>> {
    return this.deliveries.list(identity, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery: its payload (without plaintext codes) and every attempt (time, status code or error, duration)' })
  @ApiOkResponse({ type: WebhookDeliveryDetailDto })
  get(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookDeliveryDetailDto> {
    return this.deliveries.get(identity, id);
  }

  // Creates nothing new (the same delivery, the same webhook-id), so no Idempotency-Key: a replay
  // sent twice finds the delivery pending and answers 409.
  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivered or failed webhook again: a new round of attempts with the same webhook-id' })
  @ApiAcceptedResponse({ type: WebhookDeliveryDto })
  replay(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookDeliveryDto> {
    return this.deliveries.replay(identity, id);
  }
}
