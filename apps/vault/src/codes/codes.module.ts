import { Module } from '@nestjs/common';
import { CodeHistoryService } from './code-history.service';
import { CodesController } from './codes.controller';
import { DataKeyCache } from './data-key-cache';
import { OfferStockService } from './offer-stock.service';
import { RevealController } from './reveal.controller';
import { RevealService } from './reveal.service';
import { VoidService } from './void.service';

/**
 * What happens to codes once they are in the vault: the audited reveal of plaintext to their
 * buyer (internal, service-authenticated), voiding by their supplier, a code's history, and an
 * offer's stock counts. Crypto, the stock ledger and the Redis cache come from global modules.
 */
@Module({
  controllers: [CodesController, RevealController],
  providers: [RevealService, DataKeyCache, VoidService, CodeHistoryService, OfferStockService],
})
export class CodesModule {}
