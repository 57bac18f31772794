import { Module } from '@nestjs/common';
import { DepositsConsumer } from './deposits.consumer';
import { DepositsController } from './deposits.controller';
import { DepositsService } from './deposits.service';

/** Supplier deposits (保证金): their balance against the platform minimum, and the status the catalog gates offers on. */
@Module({ controllers: [DepositsController], providers: [DepositsService, DepositsConsumer] })
export class DepositsModule {}
