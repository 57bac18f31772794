import { Global, Module } from '@nestjs/common';
import { Ledger } from './ledger';

/** The double-entry ledger every other settlement module posts through. */
@Global()
@Module({ providers: [Ledger], exports: [Ledger] })
export class LedgerModule {}
