import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentIdentity, type Identity } from '@kami/platform';
import { CompareQuery, ComparisonDto } from './comparison.dto';
import { ComparisonService } from './comparison.service';

@ApiTags('catalog')
@Controller('api/v1/catalog/products/:productId/offers')
export class ComparisonController {
  constructor(private readonly comparison: ComparisonService) {}

  @Get()
  @ApiOperation({ summary: 'Compare offers of a product for a quantity: cheapest at that quantity first, or a split when no offer has enough' })
  @ApiOkResponse({ type: ComparisonDto })
  compare(@CurrentIdentity() identity: Identity, @Param('productId', ParseUUIDPipe) productId: string, @Query() query: CompareQuery): Promise<ComparisonDto> {
    return this.comparison.compare(identity, productId, query.quantity);
  }
}
