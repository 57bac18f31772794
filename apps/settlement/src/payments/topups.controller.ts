import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, Idempotent, parseIdempotencyKey, Public, type Identity } from '@kami/platform';
import { CreateTopupDto, TopupDto, TopupPageDto, TopupsQueryDto } from './topup.dto';
import { TopupsService } from './topups.service';

@ApiTags('settlement')
@Controller('api/v1/settlement')
export class TopupsController {
  constructor(private readonly topups: TopupsService) {}

  @Access({ organisationTypes: ['merchant', 'supplier'], roles: ['admin'] })
  // Required: a retried top-up without a key would open a second payment intent.
  @Idempotent({ required: true })
  @Post('topups')
  @ApiOperation({
    summary: "Merchants top up their wallet, suppliers their deposit (保证金, in CNY): a payment intent at the provider, pending until the provider confirms payment",
  })
  @ApiCreatedResponse({ type: TopupDto })
  create(@CurrentIdentity() identity: Identity, @Body() body: CreateTopupDto, @Headers('idempotency-key') key?: string): Promise<TopupDto> {
    return this.topups.create(identity, body, parseIdempotencyKey(key));
  }

  @Access({ organisationTypes: ['merchant', 'supplier', 'operator'] })
  @Get('topups')
  @ApiOperation({ summary: 'Your top-ups, newest first (operators: everyone’s, or ?organisationId=); ?status=pending lists the intents still waiting for payment' })
  @ApiOkResponse({ type: TopupPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: TopupsQueryDto): Promise<TopupPageDto> {
    return this.topups.list(identity, query);
  }

  @Access({ organisationTypes: ['merchant', 'supplier', 'operator'] })
  @Get('topups/:id')
  @ApiOperation({ summary: 'A top-up and its status' })
  @ApiOkResponse({ type: TopupDto })
  get(@CurrentIdentity() identity: Identity, @Param('id', new ParseUUIDPipe()) id: string): Promise<TopupDto> {
    return this.topups.get(identity, id);
  }

  /**
   * The provider's asynchronous notification. Public (the provider has no Kami identity): trust
   * comes from the provider's signature alone. The gateway does not route unauthenticated calls,
   * so providers reach this on the service's own ingress (see the README).
   */
  @Public()
  @Post('providers/:provider/notifications')
  @HttpCode(200)
  @ApiOperation({ summary: "A payment provider's signed notification (verified, applied once)" })
  notify(@Param('provider') provider: string, @Body() body: Record<string, unknown>, @Headers() headers: Record<string, string>): Promise<unknown> {
    return this.topups.handleNotification(provider, { headers, body });
  }
}
