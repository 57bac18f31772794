import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, Idempotent, type CursorPage, type Identity } from '@kami/platform';
import { CreateDisputeDto, DisputeDto, DisputePageDto, ListDisputesQuery, ResolveDisputeDto } from './dispute.dto';
import { DisputesService } from './disputes.service';

@ApiTags('delivery')
@Controller('api/v1/disputes')
export class DisputesController {
  constructor(private readonly disputes: DisputesService) {}

  @Access({ organisationTypes: ['merchant'] })
  @Idempotent({ required: true })
  @Post()
  @ApiOperation({
    summary:
      'The buyer disputes a code delivered to it, within the dispute window (422 dispute_window_closed), once per code (409 code_already_disputed); the code is frozen until the dispute is decided',
  })
  @ApiCreatedResponse({ type: DisputeDto })
  open(@CurrentIdentity() identity: Identity, @Body() body: CreateDisputeDto): Promise<DisputeDto> {
    return this.disputes.open(identity, body);
  }

  @Access({ organisationTypes: ['merchant', 'supplier', 'operator'] })
  @Get()
  @ApiOperation({ summary: 'Disputes, newest first: a buyer’s own, a supplier’s about its codes (without the buyer), all for operators' })
  @ApiOkResponse({ type: DisputePageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListDisputesQuery): Promise<CursorPage<DisputeDto>> {
    return this.disputes.list(identity, query);
  }

  @Access({ organisationTypes: ['merchant', 'supplier', 'operator'] })
  @Get(':disputeId')
  @ApiOperation({ summary: 'One dispute with every transition (who, when); another organisation’s is 404' })
  @ApiOkResponse({ type: DisputeDto })
  get(@CurrentIdentity() identity: Identity, @Param('disputeId', ParseUUIDPipe) disputeId: string): Promise<DisputeDto> {
    return this.disputes.get(identity, disputeId);
  }

  // The decisions create nothing: each is a guarded move, and the same decision again answers the dispute as it is.
  @Access({ organisationTypes: ['supplier'] })
  @Post(':disputeId/replace')
  @HttpCode(200)
  @ApiOperation({ summary: 'The supplier replaces the code from its stock of the offer (the vault sells the buyer another code, free); replacement_failed when it has none' })
  @ApiOkResponse({ type: DisputeDto })
  replace(@CurrentIdentity() identity: Identity, @Param('disputeId', ParseUUIDPipe) disputeId: string): Promise<DisputeDto> {
    return this.disputes.decide(identity, disputeId, 'replace');
  }

  @Access({ organisationTypes: ['supplier'], roles: ['admin'] })
  @Post(':disputeId/refund')
  @HttpCode(200)
  @ApiOperation({ summary: 'The supplier accepts: settlement refunds the code at the line’s unit price (from escrow, or from the supplier after the release), once' })
  @ApiOkResponse({ type: DisputeDto })
  refund(@CurrentIdentity() identity: Identity, @Param('disputeId', ParseUUIDPipe) disputeId: string): Promise<DisputeDto> {
    return this.disputes.decide(identity, disputeId, 'refund');
  }

  @Access({ organisationTypes: ['supplier'] })
  @Post(':disputeId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'The supplier contests an open dispute: an operator decides it' })
  @ApiOkResponse({ type: DisputeDto })
  reject(@CurrentIdentity() identity: Identity, @Param('disputeId', ParseUUIDPipe) disputeId: string): Promise<DisputeDto> {
    return this.disputes.decide(identity, disputeId, 'reject');
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Post(':disputeId/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'An operator decides an open, contested, replacement_failed or refund_refused dispute: replace, refund, or reject (final; the code is unfrozen)' })
  @ApiOkResponse({ type: DisputeDto })
  resolve(@CurrentIdentity() identity: Identity, @Param('disputeId', ParseUUIDPipe) disputeId: string, @Body() body: ResolveDisputeDto): Promise<DisputeDto> {
    return this.disputes.decide(identity, disputeId, body.decision);
  }
}
