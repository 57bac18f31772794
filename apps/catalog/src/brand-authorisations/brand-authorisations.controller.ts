import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access, CurrentIdentity, Idempotent, type CursorPage, type Identity } from '@kami/platform';
import {
  ApplyForBrandDto,
  ApproveAuthorisationDto,
  BrandAuthorisationDto,
  BrandAuthorisationPageDto,
  DecisionReasonDto,
  ListAuthorisationsQuery,
} from './brand-authorisation.dto';
import { BrandAuthorisationsService } from './brand-authorisations.service';

@ApiTags('catalog')
@Controller('api/v1/catalog/brand-authorisations')
@Access({ organisationTypes: ['supplier', 'operator'] })
export class BrandAuthorisationsController {
  constructor(private readonly authorisations: BrandAuthorisationsService) {}

  @Access({ organisationTypes: ['supplier'] })
  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'A supplier applies to sell a brand, with proof (PDF, PNG or JPEG)' })
  @ApiCreatedResponse({ type: BrandAuthorisationDto })
  apply(@CurrentIdentity() identity: Identity, @Body() body: ApplyForBrandDto): Promise<BrandAuthorisationDto> {
    return this.authorisations.apply(identity, body);
  }

  @Get()
  @ApiOperation({ summary: 'Suppliers: their own applications; operators: all (the review queue with status=pending)' })
  @ApiOkResponse({ type: BrandAuthorisationPageDto })
  list(@CurrentIdentity() identity: Identity, @Query() query: ListAuthorisationsQuery): Promise<CursorPage<BrandAuthorisationDto>> {
    return this.authorisations.list(identity, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: BrandAuthorisationDto })
  get(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string): Promise<BrandAuthorisationDto> {
    return this.authorisations.get(identity, id);
  }

  @Get(':id/proof')
  @ApiOperation({ summary: 'The uploaded proof document' })
  @ApiProduces('application/pdf', 'image/png', 'image/jpeg')
  async proof(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string, @Res() response: Response): Promise<void> {
    const proof = await this.authorisations.proof(identity, id);
    response
      .status(200)
      .type(proof.contentType)
      // Download, never render inline: the document came from outside.
      .attachment(proof.fileName)
      .setHeader('x-content-type-options', 'nosniff')
      .send(proof.content);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators approve an application until an expiry date' })
  @ApiOkResponse({ type: BrandAuthorisationDto })
  approve(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string, @Body() body: ApproveAuthorisationDto): Promise<BrandAuthorisationDto> {
    return this.authorisations.approve(identity, id, body.expiresAt);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators reject an application, with the reason the supplier will read' })
  @ApiOkResponse({ type: BrandAuthorisationDto })
  reject(@CurrentIdentity() identity: Identity, @Param('id', ParseUUIDPipe) id: string, @Body() body: DecisionReasonDto): Promise<BrandAuthorisationDto> {
    return this.authorisations.reject(identity, id, body.reason);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operators revoke an approved authorisation; the supplier’s active offers of the brand are paused' })
  @ApiOkResponse({ type: BrandAuthorisationDto })
  revoke(
    @CurrentIdentity() identity: Identity,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: DecisionReasonDto,
    @Req() request: Request & { id?: string },
  ): Promise<BrandAuthorisationDto> {
    return this.authorisations.revoke(identity, id, body.reason, request.id);
  }
}
