import { Global, Module } from '@nestjs/common';
import { StockHistory } from './stock-history';
import { StockLedger } from './stock-ledger';
import { StockPublisher } from './stock-publisher';

/** Offer stock counters, their events and history, shared by ingest, allocation and voiding. */
@Global()
@Module({ providers: [StockLedger, StockPublisher, StockHistory], exports: [StockLedger, StockPublisher, StockHistory] })
export class StockModule {}
