import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, Idempotent } from '@kami/platform';
import { BrandDto, CreateBrandDto } from './brand.dto';
import { BrandsService } from './brands.service';

@ApiTags('catalog')
@Controller('api/v1/catalog/brands')
export class BrandsController {
  constructor(private readonly brands: BrandsService) {}

  @Get()
  @ApiOperation({ summary: 'All brands' })
  @ApiOkResponse({ type: [BrandDto] })
  list(): Promise<BrandDto[]> {
    return this.brands.list();
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'Operators add a brand' })
  @ApiCreatedResponse({ type: BrandDto })
  create(@Body() body: CreateBrandDto): Promise<BrandDto> {
    return this.brands.create(body);
  }
}
