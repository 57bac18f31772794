import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, type CursorPage, type Identity } from '@kami/platform';
import { CreateOfferDto, ListOffersQuery, OfferDto, OfferPageDto, UpdateOfferDto } from './offer.dto';
import { OffersService } from './offers.service';

type TracedRequest = Request & { id?: string };

@ApiTags('catalog')
@Controller('api/v1/catalog/offers')
export class OffersController {
  constructor(private readonly offers: OffersService) {}

  @Get()
  @ApiOperation({ summary: 'Offers: a supplier’s own, the active ones for merchants, all for operators (newest first)' })
  @ApiOkResponse({ type: OfferPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListOffersQuery): Promise<CursorPage<OfferDto>> {
    return this.offers.list(identity, query);
  }

  @Get(':offerId')
  @ApiOkResponse({ type: OfferDto })
  get(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string): Promise<OfferDto> {
    return this.offers.get(identity, offerId);
  }

  @Access({ organisationTypes: ['supplier'] })
  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'A supplier lists a product (as a draft) with tiered wholesale prices; needs an approved brand authorisation' })
  @ApiCreatedResponse({ type: OfferDto })
  create(@CurrentIdentity() identity: Identity, @Body() body: CreateOfferDto, @Req() request: TracedRequest): Promise<OfferDto> {
    return this.offers.create(identity, body, request.id);
  }

  @Access({ organisationTypes: ['supplier'] })
  @Patch(':offerId')
  @ApiOperation({ summary: 'Change prices, quantity limits or the low-stock threshold of an own offer' })
  @ApiOkResponse({ type: OfferDto })
  update(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string, @Body() body: UpdateOfferDto, @Req() request: TracedRequest): Promise<OfferDto> {
    return this.offers.update(identity, offerId, body, request.id);
  }

  @Access({ organisationTypes: ['supplier'] })
  @Post(':offerId/activate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a draft or paused offer on sale (needs an approved, unexpired brand authorisation)' })
  @ApiOkResponse({ type: OfferDto })
  activate(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string, @Req() request: TracedRequest): Promise<OfferDto> {
    return this.offers.activate(identity, offerId, request.id);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Post(':offerId/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take an active offer off sale for now (its supplier, or an operator)' })
  @ApiOkResponse({ type: OfferDto })
  pause(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string, @Req() request: TracedRequest): Promise<OfferDto> {
    return this.offers.pause(identity, offerId, request.id);
  }

  @Access({ organisationTypes: ['supplier', 'operator'] })
  @Post(':offerId/delist')
  @HttpCode(200)
  @ApiOperation({ summary: 'End an offer for good (its supplier, or an operator)' })
  @ApiOkResponse({ type: OfferDto })
  delist(@CurrentIdentity() identity: Identity, @Param('offerId', ParseUUIDPipe) offerId: string, @Req() request: TracedRequest): Promise<OfferDto> {
    return this.offers.delist(identity, offerId, request.id);
  }
}
