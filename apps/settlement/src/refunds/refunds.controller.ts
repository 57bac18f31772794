import { Body, Controller, Get, Headers, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, Idempotent, parseIdempotencyKey, type CursorPage, type Identity } from '@kami/platform';
import { CreateRefundDto, RefundDto, RefundsQueryDto } from './refund.dto';
import { RefundsService } from './refunds.service';

@ApiTags('settlement')
@Controller('api/v1/settlement/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  // Required: a retried refund without a key would refund twice.
  @Idempotent({ required: true })
  @Post()
  @ApiOperation({
    summary:
      "Operators refund codes of an order line to the buyer: from escrow before the release, afterwards from the commission and the supplier's payable, then its deposit (409 refund_not_covered when they cannot)",
  })
  @ApiCreatedResponse({ type: RefundDto })
  create(@CurrentIdentity() identity: Identity, @Body() body: CreateRefundDto, @Headers('idempotency-key') key?: string): Promise<RefundDto> {
    return this.refunds.create(identity, body, parseIdempotencyKey(key)!);
  }

  @Access({ organisationTypes: ['operator', 'merchant', 'supplier'] })
  @Get()
  @ApiOperation({ summary: "An order's refunds: operators see all, the buyer its own, a supplier those charged to it" })
  @ApiOkResponse()
  list(@CurrentIdentity() identity: Identity, @Query() query: RefundsQueryDto): Promise<CursorPage<RefundDto>> {
    return this.refunds.list(identity, query);
  }
}
