import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Access, CurrentIdentity, IDEMPOTENCY_KEY_HEADER, type AccessPolicy, type CursorPage, type Identity } from '@kami/platform';
import { Restock } from './restock';
import { PulledCodeDto, RestockRuleDto, RestockRuleInputDto, StockLevelDto, StockLevelPageDto, StockLevelsQuery, StockSettingsDto } from './stock.dto';
import { StockLevels } from './stock-levels';
import { StockPullService } from './stock-pull.service';

/** A merchant's purchased stock: levels, low-stock alerts, auto-restock rules, and pulling codes one by one. Always the caller's own. */
/** Who may use a stock: its merchant (also each pull of a batch the gateway grouped: StockPullBatchController). */
export const STOCK_ACCESS: AccessPolicy = { organisationTypes: ['merchant'] };

@ApiTags('delivery')
@Access(STOCK_ACCESS)
@Controller('api/v1/stock')
export class StockController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly levels: StockLevels,
    private readonly restock: Restock,
    private readonly pulls: StockPullService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your purchased stock per product: codes available, low-stock threshold, whether low and since when; `?low=true`: only the low ones (the alerts)' })
  @ApiOkResponse({ type: StockLevelPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: StockLevelsQuery): Promise<CursorPage<StockLevelDto>> {
    return this.levels.list(identity.organisationId, query);
  }

  @Get(':productId')
  @ApiOperation({ summary: 'Your purchased stock of one product (zero when you have none)' })
  @ApiOkResponse({ type: StockLevelDto })
  get(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string): Promise<StockLevelDto> {
    return this.levels.get(this.dataSource.manager, identity.organisationId, productId);
  }

  @Put(':productId/settings')
  @ApiOperation({ summary: 'Sets the low-stock threshold: a pull that leaves fewer codes raises the alert once (delivery.stock.low) until the stock is back at or above it' })
  @ApiOkResponse({ type: StockLevelDto })
  settings(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Body() body: StockSettingsDto): Promise<StockLevelDto> {
    return this.levels.setThreshold(identity.organisationId, productId, body.lowStockThreshold);
  }

  // Idempotent by its own (buyer, key) row, not the platform interceptor: that one would store the plaintext (see StockPullService).
  @Post(':productId/pull')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: true,
    description: 'a new key takes a new code; the same key again answers the same code (or the same stock_exhausted); with another product 422 idempotency_key_reused',
  })
  @ApiOperation({
    summary:
      'Takes one code of your purchased stock of the product, oldest first, and reveals it; 409 stock_exhausted when none is left; the same key again answers the same code, or 410 code_refunded / code_replaced once that code was taken back',
  })
  @ApiOkResponse({ type: PulledCodeDto })
  pull(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Headers('idempotency-key') header: string | undefined): Promise<PulledCodeDto> {
    return this.pulls.pull(identity, productId, header);
  }

  @Get(':productId/restock-rule')
  @ApiOperation({ summary: 'Your auto-restock rule of the product, with its newest request (404 restock_rule_not_found)' })
  @ApiOkResponse({ type: RestockRuleDto })
  rule(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string): Promise<RestockRuleDto> {
    return this.restock.rule(this.dataSource.manager, identity.organisationId, productId);
  }

  @Put(':productId/restock-rule')
  @ApiOperation({
    summary:
      'Sets the auto-restock rule: when a pull leaves fewer than belowQuantity codes and no restock of the product is in flight, an order of orderQuantity (at most maxUnitPrice fen each, fulfilment stock, externalRef restock:<requestId>) is placed for you',
  })
  @ApiOkResponse({ type: RestockRuleDto })
  setRule(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Body() body: RestockRuleInputDto): Promise<RestockRuleDto> {
    return this.restock.setRule(identity.organisationId, productId, body);
  }

  @Delete(':productId/restock-rule')
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes the auto-restock rule (an order already placed still arrives)' })
  @ApiNoContentResponse()
  deleteRule(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string): Promise<void> {
    return this.restock.deleteRule(identity.organisationId, productId);
  }
}
