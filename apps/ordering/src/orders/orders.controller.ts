import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, parseIdempotencyKey, idempotencyKeyRequired, type CursorPage, type Identity } from '@kami/platform';
import { CreateOrderDto, GetOrderQuery, ListOrdersQuery, OrderDto, OrderPageDto, OrderQuoteDto, QuoteOrderDto } from './order.dto';
import { OrdersService } from './orders.service';

type TracedRequest = Request & { id?: string };

@ApiTags('ordering')
@Controller('api/v1/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Access({ organisationTypes: ['merchant'] })
  @Idempotent({ required: true })
  @Post()
  @ApiOperation({ summary: 'Place an order: product lines are routed to the cheapest offers with stock (split when needed), offer lines use that offer; prices are fixed now' })
  @ApiCreatedResponse({ type: OrderDto })
  create(
    @CurrentIdentity() identity: Identity,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') header: string | undefined,
    @Req() request: TracedRequest,
  ): Promise<OrderDto> {
    const key = parseIdempotencyKey(header);
    if (key === undefined) throw idempotencyKeyRequired();
    return this.orders.create(identity, body, key, request.id);
  }

  // Creates nothing, so no Idempotency-Key: asking again just quotes again.
  @Access({ organisationTypes: ['merchant'] })
  @Post('quote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Quote an order without placing it: the lines routed and priced as placing them now would (split across suppliers), the total, and whether your known balance covers it; refusals as placing; nothing is stored or reserved' })
  @ApiOkResponse({ type: OrderQuoteDto })
  quote(@CurrentIdentity() identity: Identity, @Body() body: QuoteOrderDto): Promise<OrderQuoteDto> {
    return this.orders.quote(identity, body);
  }

  @Access({ organisationTypes: ['merchant', 'operator'] })
  @Get()
  @ApiOperation({ summary: 'Orders, newest first: a merchant’s own, all for operators; filter by externalRef, status, product and placing time' })
  @ApiOkResponse({ type: OrderPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListOrdersQuery): Promise<CursorPage<OrderDto>> {
    return this.orders.list(identity, query);
  }

  @Access({ organisationTypes: ['merchant', 'operator'] })
  @Get(':orderId')
  @ApiOperation({ summary: 'One order with its lines and every transition it went through; `?wait=` long-polls until it has ended' })
  @ApiOkResponse({ type: OrderDto })
  get(@CurrentIdentity() identity: Identity, @Param('orderId', ParseUUIDPipe) orderId: string, @Query() query: GetOrderQuery): Promise<OrderDto> {
    return this.orders.get(identity, orderId, query.wait ?? 0);
  }

  @Access({ organisationTypes: ['merchant'] })
  @Post(':orderId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'The buyer cancels an order that is not paid yet (placed or reserved); its reserved codes are released' })
  @ApiOkResponse({ type: OrderDto })
  cancel(@CurrentIdentity() identity: Identity, @Param('orderId', ParseUUIDPipe) orderId: string): Promise<OrderDto> {
    return this.orders.cancel(identity, orderId);
  }
}
