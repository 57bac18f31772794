import { Module } from '@nestjs/common';
import { StatementsController } from './statements.controller';
import { StatementsService } from './statements.service';

/** Balances and CSV statements over the API. */
@Module({ controllers: [StatementsController], providers: [StatementsService] })
export class StatementsModule {}
