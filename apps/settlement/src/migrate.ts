import { runMigrationsCommand } from '@kami/platform';
import { SettlementConfig } from './config/settlement.config';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from './database/settlement.migrations';

/** `node dist/apps/settlement/src/migrate.js`: applies pending migrations to the settlement database. */
void runMigrationsCommand({ service: 'settlement', configClass: SettlementConfig, entities: SETTLEMENT_ENTITIES, migrations: SETTLEMENT_MIGRATIONS });
