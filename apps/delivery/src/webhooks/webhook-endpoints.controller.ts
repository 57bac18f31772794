import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentIdentity, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey, type Identity } from '@kami/platform';
import { CreateWebhookEndpointDto, RotatedSecretDto, UpdateWebhookEndpointDto, WebhookEndpointDto, WebhookEndpointListDto, WebhookEndpointWithSecretDto } from './webhook.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiTags('webhooks')
@Access({ organisationTypes: ['merchant'] })
@Controller('api/v1/webhooks/endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  // Not the platform's @Idempotent: it stores the first response to replay it, and this response
  // carries the signing secret, which must never be stored in plaintext. The service honours an
  // optional Idempotency-Key itself, replaying from the endpoint's encrypted secret.
  @Post()
  @ApiOperation({ summary: 'Add a webhook endpoint; the answer carries its signing secret (whsec_…), shown only this once. Idempotency-Key optional' })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretDto })
  async create(
    @CurrentIdentity() identity: Identity,
    @Body() body: CreateWebhookEndpointDto,
    @Headers('idempotency-key') header: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<WebhookEndpointWithSecretDto> {
    const { replayed, endpoint } = await this.endpoints.create(identity, body, parseIdempotencyKey(header));
    if (replayed) response.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
    // The secret must not linger in caches.
    response.setHeader('Cache-Control', 'no-store');
    return endpoint;
  }

  @Get()
  @ApiOperation({ summary: 'Your webhook endpoints (never their secrets)' })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  async list(@CurrentIdentity() identity: Identity): Promise<WebhookEndpointListDto> {
    return { items: await this.endpoints.list(identity) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your webhook endpoints (never its secret)' })
  @ApiOkResponse({ type: WebhookEndpointDto })
  get(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookEndpointDto> {
    return this.endpoints.get(identity, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint’s url, events, enabled, includeCodes or description' })
  @ApiOkResponse({ type: WebhookEndpointDto })
  update(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateWebhookEndpointDto): Promise<WebhookEndpointDto> {
    return this.endpoints.update(identity, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint with its deliveries and their attempt log' })
  @ApiNoContentResponse()
  remove(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.endpoints.remove(identity, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret, shown only in this answer; for 24 h webhooks carry signatures with both the new and the previous secret' })
  @ApiOkResponse({ type: RotatedSecretDto })
  rotate(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string, @Res({ passthrough: true }) response: Response): Promise<RotatedSecretDto> {
    response.setHeader('Cache-Control', 'no-store');
    return this.endpoints.rotateSecret(identity, id);
  }
}
