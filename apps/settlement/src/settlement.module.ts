import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@kami/contracts';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { SettlementConfig } from './config/settlement.config';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from './database/settlement.migrations';
import { CommissionModule } from './commission/commission.module';
import { DepositsModule } from './deposits/deposits.module';
import { LedgerModule } from './ledger/ledger.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentsModule } from './payments/payments.module';
import { RefundsModule } from './refunds/refunds.module';
import { StatementsModule } from './statements/statements.module';

/** The settlement service: wallets, the double-entry ledger, escrow, commission, payables, supplier deposits, statements. */
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
          producesTopics: [Topics.SettlementPayment, Topics.SettlementWallet, Topics.SettlementDeposit, Topics.SettlementRefund],
        }),
        LedgerModule,
        PaymentsModule.register(config),
        OrdersModule,
        StatementsModule,
        DepositsModule,
        CommissionModule,
        RefundsModule,
      ],
      controllers: [createWhoAmIController('settlement')],
    };
  }
}
