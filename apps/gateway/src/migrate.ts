import { runMigrationsCommand } from '@kami/platform';
import { GatewayConfig } from './config/gateway.config';
import { GATEWAY_ENTITIES, GATEWAY_MIGRATIONS } from './database/gateway.migrations';

/** `node dist/apps/gateway/src/migrate.js`: applies pending migrations to the gateway database. */
void runMigrationsCommand({ service: 'gateway', configClass: GatewayConfig, entities: GATEWAY_ENTITIES, migrations: GATEWAY_MIGRATIONS });
