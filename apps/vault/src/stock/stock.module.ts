import { Global, Module } from '@nestjs/common';
import { StockLedger } from './stock-ledger';
import { StockPublisher } from './stock-publisher';

/** Offer stock counters and their events, shared by ingest, allocation and voiding. */
@Global()
@Module({ providers: [StockLedger, StockPublisher], exports: [StockLedger, StockPublisher] })
export class StockModule {}
