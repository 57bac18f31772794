import { runMigrationsCommand } from '@kami/platform';
import { VaultConfig } from './config/vault.config';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from './database/vault.migrations';

/** `node dist/apps/vault/src/migrate.js`: applies pending migrations to the vault database. */
void runMigrationsCommand({ service: 'vault', configClass: VaultConfig, entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS });
