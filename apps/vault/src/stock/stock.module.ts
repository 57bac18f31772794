import { Global, Module } from '@nestjs/common';
import { StockLedger } from './stock-ledger';

/** Offer stock counters and their events, shared by ingest, allocation and voiding. */
@Global()
@Module({ providers: [StockLedger], exports: [StockLedger] })
export class StockModule {}
