import { Module, type DynamicModule } from '@nestjs/common';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { SettlementConfig } from './config/settlement.config';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from './database/settlement.migrations';

/** The settlement service: wallets, the double-entry ledger, escrow, commission, payables, statements. */
@Module({})
export class SettlementModule {
  static register(config: SettlementConfig): DynamicModule {
    return {
      module: SettlementModule,
      imports: [
        PlatformModule.forRoot({
          service: 'settlement',
          config,
          entities: SETTLEMENT_ENTITIES,
          migrations: SETTLEMENT_MIGRATIONS,
        }),
      ],
      controllers: [createWhoAmIController('settlement')],
    };
  }
}
