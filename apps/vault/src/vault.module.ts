import { Module, type DynamicModule } from '@nestjs/common';
import { Topics } from '@kami/contracts';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import { AllocationModule } from './allocation/allocation.module';
import { BatchesModule } from './batches/batches.module';
import { CatalogProjectionModule } from './catalog-projection/catalog-projection.module';
import { CodesModule } from './codes/codes.module';
import type { VaultConfig } from './config/vault.config';
import { CryptoModule } from './crypto/crypto.module';
import { ReplacementsModule } from './replacements/replacements.module';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from './database/vault.migrations';
import { StockModule } from './stock/stock.module';

/** The vault service: code batches and codes: ingest, encryption at rest, the Redis reservation core, reveal. */
@Module({})
export class VaultModule {
  static register(config: VaultConfig): DynamicModule {
    return {
      module: VaultModule,
      imports: [
        PlatformModule.forRoot({
          service: 'vault',
          config,
          entities: VAULT_ENTITIES,
          migrations: VAULT_MIGRATIONS,
          producesTopics: [Topics.VaultStock, Topics.VaultAllocation, Topics.VaultReplacement],
          redis: true,
        }),
        CatalogProjectionModule,
        StockModule,
        CryptoModule,
        AllocationModule,
        BatchesModule,
        CodesModule,
        ReplacementsModule,
      ],
      controllers: [createWhoAmIController('vault')],
    };
  }
}
