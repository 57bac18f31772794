import { runMigrationsCommand } from '@kami/platform';
import { DeliveryConfig } from './config/delivery.config';
import { DELIVERY_ENTITIES, DELIVERY_MIGRATIONS } from './database/delivery.migrations';

/** `node dist/apps/delivery/src/migrate.js`: applies pending migrations to the delivery database. */
void runMigrationsCommand({ service: 'delivery', configClass: DeliveryConfig, entities: DELIVERY_ENTITIES, migrations: DELIVERY_MIGRATIONS });
