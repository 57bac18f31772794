import { Module } from '@nestjs/common';
import { VaultModule } from '../vault/vault.module';
import { Restock } from './restock';
import { StockController } from './stock.controller';
import { StockEventsConsumer } from './stock-events.consumer';
import { StockPullBatchController } from './stock-pull-batch.controller';
import { StockLevels } from './stock-levels';
import { StockPullService } from './stock-pull.service';

/** Merchants' purchased stock: levels, low-stock alerts, auto-restock, and pulls. */
@Module({
  imports: [VaultModule],
  controllers: [StockController, StockPullBatchController],
  providers: [StockLevels, Restock, StockPullService, StockEventsConsumer],
})
export class StockModule {}
