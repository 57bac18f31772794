import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import { ValidationFailedError } from '@kami/platform';
import { brandNameTaken } from '../catalog.errors';
import type { BrandDto, CreateBrandDto } from './brand.dto';
import { BrandEntity } from './brand.entity';

/** Brands whose SKUs suppliers may list only with an approved authorisation. */
@Injectable()
export class BrandsService {
  constructor(@InjectRepository(BrandEntity) private readonly brands: Repository<BrandEntity>) {}

  async list(): Promise<BrandDto[]> {
    const all = await this.brands.find({ order: { name: 'ASC' } });
    return all.map(({ id, name }) => ({ id, name }));
  }

  async create(input: CreateBrandDto): Promise<BrandDto> {
    const brand = { id: randomUUID(), name: input.name.trim() };
    try {
      await this.brands.insert(brand);
    } catch (error) {
      const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: string; constraint?: string }) : undefined;
      if (driverError?.code === '23505') throw brandNameTaken();
      throw error;
    }
    return brand;
  }

  /** The brand named in a request body; an unknown id is a 400 naming the field. */
  async getForInput(id: string, field = 'brandId'): Promise<BrandEntity> {
    const brand = await this.brands.findOneBy({ id });
    if (!brand) throw new ValidationFailedError([{ field, messages: ['unknown brand; see GET /api/v1/catalog/brands'] }]);
    return brand;
  }
}
