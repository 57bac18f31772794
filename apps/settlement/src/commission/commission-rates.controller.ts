import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentIdentity, type CursorPage, type Identity } from '@kami/platform';
import { CategoryCodePipe } from './category-code.pipe';
import { CommissionRateChangeDto, CommissionRateChangesQueryDto, CommissionRateDto, CommissionRatesDto, SetCommissionRateDto } from './commission-rates.dto';
import { CommissionRatesService } from './commission-rates.service';

/** Operators set the platform's commission per supplier and per category (portal sessions only: it moves money). */
@ApiTags('settlement')
@Controller('api/v1/settlement/commission-rates')
// Rates decide who is paid what: reading them is for operators, changing them for their admins.
@Access({ organisationTypes: ['operator'], apiKeys: false })
export class CommissionRatesController {
  constructor(private readonly rates: CommissionRatesService) {}

  @Get()
  @ApiOperation({ summary: 'The default commission rate and every supplier and category rate' })
  @ApiOkResponse({ type: CommissionRatesDto })
  list(): Promise<CommissionRatesDto> {
    return this.rates.list();
  }

  @Get('changes')
  @ApiOperation({ summary: 'The audit of commission rate changes (who, when, old → new), newest first' })
  @ApiOkResponse()
  changes(@Query() query: CommissionRateChangesQueryDto): Promise<CursorPage<CommissionRateChangeDto>> {
    return this.rates.changes(query);
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Put('suppliers/:supplierId')
  @ApiOperation({ summary: "A supplier's own commission rate: wins over its categories' and the default, for releases from now on" })
  @ApiOkResponse({ type: CommissionRateDto })
  async setSupplier(@CurrentIdentity() identity: Identity, @Param('supplierId', new ParseUUIDPipe()) supplierId: string, @Body() body: SetCommissionRateDto): Promise<CommissionRateDto> {
    return (await this.rates.set(identity, 'supplier', supplierId.toLowerCase(), body.rateBps))!;
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Delete('suppliers/:supplierId')
  @HttpCode(204)
  @ApiOperation({ summary: "Removes a supplier's own rate: its category's or the default applies again" })
  @ApiNoContentResponse()
  async removeSupplier(@CurrentIdentity() identity: Identity, @Param('supplierId', new ParseUUIDPipe()) supplierId: string): Promise<void> {
    await this.rates.set(identity, 'supplier', supplierId.toLowerCase(), undefined);
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Put('categories/:categoryCode')
  @ApiOperation({ summary: "A category's commission rate (covers its subtree): wins over the default, for releases from now on" })
  @ApiOkResponse({ type: CommissionRateDto })
  async setCategory(@CurrentIdentity() identity: Identity, @Param('categoryCode', CategoryCodePipe) categoryCode: string, @Body() body: SetCommissionRateDto): Promise<CommissionRateDto> {
    return (await this.rates.set(identity, 'category', categoryCode, body.rateBps))!;
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Delete('categories/:categoryCode')
  @HttpCode(204)
  @ApiOperation({ summary: "Removes a category's rate: its parent's or the default applies again" })
  @ApiNoContentResponse()
  async removeCategory(@CurrentIdentity() identity: Identity, @Param('categoryCode', CategoryCodePipe) categoryCode: string): Promise<void> {
    await this.rates.set(identity, 'category', categoryCode, undefined);
  }
}
