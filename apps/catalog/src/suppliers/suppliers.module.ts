import { Module } from '@nestjs/common';
import { SupplierDirectory } from './supplier-directory';

@Module({ providers: [SupplierDirectory] })
export class SuppliersModule {}
