import { Module } from '@nestjs/common';
import { Projections } from './projections';

@Module({ providers: [Projections], exports: [Projections] })
export class ProjectionsModule {}
