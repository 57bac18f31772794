import { runMigrationsCommand } from '@kami/platform';
import { OrderingConfig } from './config/ordering.config';
import { ORDERING_ENTITIES, ORDERING_MIGRATIONS } from './database/ordering.migrations';

/** `node dist/apps/ordering/src/migrate.js`: applies pending migrations to the ordering database. */
void runMigrationsCommand({ service: 'ordering', configClass: OrderingConfig, entities: ORDERING_ENTITIES, migrations: ORDERING_MIGRATIONS });
