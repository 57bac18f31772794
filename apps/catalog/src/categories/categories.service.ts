import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ValidationFailedError } from '@kami/platform';
import { categoryExists } from '../catalog.errors';
import type { CategoryDto, CreateCategoryDto } from './category.dto';
import { CategoryEntity } from './category.entity';

/** The category tree merchants browse by; operators extend it. */
@Injectable()
export class CategoriesService {
  constructor(@InjectRepository(CategoryEntity) private readonly categories: Repository<CategoryEntity>) {}

  async tree(): Promise<CategoryDto[]> {
    const all = await this.categories.find({ order: { position: 'ASC', code: 'ASC' } });
    const nodes = new Map<string, CategoryDto>(
      all.map((c) => [c.code, { code: c.code, parentCode: c.parentCode, nameEn: c.nameEn, nameZh: c.nameZh, children: [] }]),
    );
    const roots: CategoryDto[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentCode ? nodes.get(node.parentCode) : undefined;
      (parent ? parent.children : roots).push(node);
    }
    return roots;
  }

  async create(input: CreateCategoryDto): Promise<CategoryDto> {
    const cut = input.code.lastIndexOf('.');
    const parentCode = cut > 0 ? input.code.slice(0, cut) : null;
    if (parentCode && !(await this.categories.existsBy({ code: parentCode }))) {
      throw new ValidationFailedError([{ field: 'code', messages: [`the parent category ${parentCode} does not exist`] }]);
    }
    if (await this.categories.existsBy({ code: input.code })) throw categoryExists();
    const position = await this.categories.count();
    await this.categories.insert({ code: input.code, parentCode, nameEn: input.nameEn, nameZh: input.nameZh, position });
    return { code: input.code, parentCode, nameEn: input.nameEn, nameZh: input.nameZh, children: [] };
  }

  /** Throws a 400 naming `field` when the category is unknown (bad input, not a missing resource). */
  async assertExists(code: string, field = 'categoryCode'): Promise<void> {
    if (!(await this.categories.existsBy({ code }))) {
      throw new ValidationFailedError([{ field, messages: [`unknown category ${JSON.stringify(code).slice(0, 120)}; see GET /api/v1/catalog/categories`] }]);
    }
  }
}
