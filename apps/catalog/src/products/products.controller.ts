import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, type CursorPage, type Identity } from '@kami/platform';
import { CreateProductDto, ProductPageDto, ProductSearchItemDto, ReviewProductDto, SearchProductsQuery, UpdateProductDto } from './product.dto';
import { ProductsService } from './products.service';

type TracedRequest = Request & { id?: string };

@ApiTags('catalog')
@Controller('api/v1/catalog/products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @ApiOperation({ summary: 'Search products by text, category, brand, face value and region, with each one’s offer summary' })
  @ApiOkResponse({ type: ProductPageDto })
  search(@CurrentIdentity() identity: Identity, @Query() query: SearchProductsQuery): Promise<CursorPage<ProductSearchItemDto>> {
    return this.products.find(identity, query);
  }

  @Get(':productId')
  @ApiOperation({ summary: 'One product' })
  @ApiOkResponse({ type: ProductSearchItemDto })
  get(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string): Promise<ProductSearchItemDto> {
    return this.products.get(identity, productId);
  }

  @Access({ organisationTypes: ['operator', 'supplier'] })
  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'Operators create a product; a supplier’s product is a proposal waiting for an operator' })
  @ApiCreatedResponse({ type: ProductSearchItemDto })
  create(@CurrentIdentity() identity: Identity, @Body() body: CreateProductDto, @Req() request: TracedRequest): Promise<ProductSearchItemDto> {
    return this.products.create(identity, body, request.id);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Patch(':productId')
  @ApiOperation({ summary: 'Operators curate a product' })
  @ApiOkResponse({ type: ProductSearchItemDto })
  update(
    @CurrentIdentity() identity: Identity,
    @Param('productId', ParseUUIDPipe) productId: string,
    @Body() body: UpdateProductDto,
    @Req() request: TracedRequest,
  ): Promise<ProductSearchItemDto> {
    return this.products.update(identity, productId, body, request.id);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':productId/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators accept a supplier’s proposed product' })
  @ApiOkResponse({ type: ProductSearchItemDto })
  approve(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Body() body: ReviewProductDto, @Req() request: TracedRequest): Promise<ProductSearchItemDto> {
    return this.products.approve(identity, productId, body.note, request.id);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':productId/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators turn down a proposed product, with a note' })
  @ApiOkResponse({ type: ProductSearchItemDto })
  reject(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Body() body: ReviewProductDto, @Req() request: TracedRequest): Promise<ProductSearchItemDto> {
    return this.products.reject(identity, productId, body.note, request.id);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':productId/retire')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators retire a product; its active offers are paused' })
  @ApiOkResponse({ type: ProductSearchItemDto })
  retire(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Body() body: ReviewProductDto, @Req() request: TracedRequest): Promise<ProductSearchItemDto> {
    return this.products.retire(identity, productId, body.note, request.id);
  }
}
