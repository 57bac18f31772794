import { Module } from '@nestjs/common';
import { StockProjection } from './stock-projection';

@Module({ providers: [StockProjection] })
export class StockModule {}
