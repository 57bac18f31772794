import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, parseIdempotencyKey, idempotencyKeyRequired, type CursorPage, type Identity } from '@kami/platform';
import { CreateOrderDto, ListOrdersQuery, OrderDto, OrderPageDto } from './order.dto';
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

  @Access({ organisationTypes: ['merchant', 'operator'] })
  @Get()
  @ApiOperation({ summary: 'Orders, newest first: a merchant’s own, all for operators; filter by externalRef, status, product and placing time' })
  @ApiOkResponse({ type: OrderPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListOrdersQuery): Promise<CursorPage<OrderDto>> {
    return this.orders.list(identity, query);
  }

  @Access({ organisationTypes: ['merchant', 'operator'] })
  @Get(':orderId')
  @ApiOperation({ summary: 'One order with its lines and every transition it went through' })
  @ApiOkResponse({ type: OrderDto })
  get(@CurrentIdentity() identity: Identity, @Param('orderId', ParseUUIDPipe) orderId: string): Promise<OrderDto> {
    return this.orders.get(identity, orderId);
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
