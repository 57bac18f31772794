import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, type Identity } from '@kami/platform';
import { ParseCodeIdPipe } from './code-id';
import { CodeHistoryDto, OfferStockLevelsDto, StockHistoryDto, StockHistoryQueryDto, VoidBatchResultDto, VoidCodesDto, VoidCodesResultDto, VoidReasonDto } from './code.dto';
import { CodeHistoryService } from './code-history.service';
import { OfferStockService } from './offer-stock.service';
import { VoidService } from './void.service';

@ApiTags('vault')
@Controller('api/v1/vault')
export class CodesController {
  constructor(
    private readonly voids: VoidService,
    private readonly histories: CodeHistoryService,
    private readonly stock: OfferStockService,
  ) {}

  @Access({ organisationTypes: ['supplier'] })
  @Post('codes/void')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Void codes of your offers for good',
    description:
      'Only available codes become void; codes held by an order, sold or void already are listed in notVoided. ' +
      'If any id is not one of your codes, nothing is voided (404 codes_not_found).',
  })
  @ApiOkResponse({ type: VoidCodesResultDto })
  voidCodes(@CurrentIdentity() identity: Identity, @Body() body: VoidCodesDto): Promise<VoidCodesResultDto> {
    return this.voids.voidCodes(identity, body.codeIds, body.reason);
  }

  @Access({ organisationTypes: ['supplier'] })
  @Post('batches/:batchId/void')
  @HttpCode(200)
  @ApiOperation({ summary: 'Void every still-available code of one of your completed batches' })
  @ApiOkResponse({ type: VoidBatchResultDto })
  voidBatch(@CurrentIdentity() identity: Identity, @Param('batchId', ParseUUIDPipe) batchId: string, @Body() body: VoidReasonDto): Promise<VoidBatchResultDto> {
    return this.voids.voidBatch(identity, batchId, body.reason);
  }

  @Access({ organisationTypes: ['supplier', 'merchant', 'operator'] })
  @Get('codes/:codeId/history')
  @ApiOperation({ summary: 'A code’s life (never its plaintext): for its supplier, the buyer it was sold to, and operators' })
  @ApiOkResponse({ type: CodeHistoryDto })
  history(@CurrentIdentity() identity: Identity, @Param('codeId', ParseCodeIdPipe) codeId: string): Promise<CodeHistoryDto> {
    return this.histories.history(identity, codeId);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get('offers/:offerId/stock')
  @ApiOperation({ summary: 'An offer’s code counts: uploaded = available + reserved + sold + void' })
  @ApiOkResponse({ type: OfferStockLevelsDto })
  offerStock(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string): Promise<OfferStockLevelsDto> {
    return this.stock.levels(identity, offerId);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Get('offers/:offerId/stock/history')
  @ApiOperation({
    summary: 'An offer’s code counts over time, for a chart',
    description:
      'The level at from, then the last counts recorded in each of `points` slices of [from, to] (default: the last 7 days in 200 slices). ' +
      'Counts are recorded as they change, keeping the last of each STOCK_HISTORY_RESOLUTION_SECONDS; 400 invalid_period for from ≥ to or more than 400 days.',
  })
  @ApiOkResponse({ type: StockHistoryDto })
  offerStockHistory(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string, @Query() query: StockHistoryQueryDto): Promise<StockHistoryDto> {
    return this.stock.history(identity, offerId, query);
  }
}
