import { Module, type DynamicModule } from '@nestjs/common';
import { createWhoAmIController, PlatformModule } from '@kami/platform';
import type { VaultConfig } from './config/vault.config';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from './database/vault.migrations';

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
          redis: true,
        }),
      ],
      controllers: [createWhoAmIController('vault')],
    };
  }
}
