import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, Idempotent } from '@kami/platform';
import { CategoriesService } from './categories.service';
import { CategoryDto, CreateCategoryDto } from './category.dto';

@ApiTags('catalog')
@Controller('api/v1/catalog/categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @ApiOperation({ summary: 'The category tree (game cards, gift cards, software licences, memberships, courses, phone top-up, …)' })
  @ApiOkResponse({ type: [CategoryDto] })
  tree(): Promise<CategoryDto[]> {
    return this.categories.tree();
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Idempotent()
  @Post()
  @ApiOperation({ summary: 'Operators add a category (its parent must exist)' })
  @ApiCreatedResponse({ type: CategoryDto })
  create(@Body() body: CreateCategoryDto): Promise<CategoryDto> {
    return this.categories.create(body);
  }
}
