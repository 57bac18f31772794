import { runMigrationsCommand } from '@kami/platform';
import { CatalogConfig } from './config/catalog.config';
import { CATALOG_ENTITIES, CATALOG_MIGRATIONS } from './database/catalog.migrations';

/** `node dist/apps/catalog/src/migrate.js`: applies pending migrations to the catalog database. */
void runMigrationsCommand({ service: 'catalog', configClass: CatalogConfig, entities: CATALOG_ENTITIES, migrations: CATALOG_MIGRATIONS });
