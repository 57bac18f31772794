import type { DynamicModule, INestApplication } from '@nestjs/common';
import { loadConfigOrExit } from '../config/load-config';
import type { ServiceConfig } from '../config/service-config';
import { runMigrations, createServiceDataSource } from '../database/data-source';
import { createLogger } from '../logging/logging';
import { bootstrapService, type BootstrapOptions } from './bootstrap-service';

export interface RunServiceOptions<C extends ServiceConfig> extends BootstrapOptions {
  service: string;
  configClass: new () => C;
  module: (config: C) => DynamicModule;
}

/** A service's `main`: validate the environment (exit 78 naming each bad variable), boot, listen. */
export async function runService<C extends ServiceConfig>(options: RunServiceOptions<C>): Promise<INestApplication> {
  const config = loadConfigOrExit(options.configClass, options.service);
  const logger = createLogger(options.service, config.LOG_LEVEL);
  try {
    const app = await bootstrapService(options.module(config), config, options);
    logger.info({ port: config.PORT, metricsPort: config.METRICS_PORT }, `${options.service} listening on http://${config.HOST}:${config.PORT}`);
    return app;
  } catch (error) {
    logger.fatal({ err: error }, `${options.service} failed to start`);
    process.exit(1);
  }
}

export interface MigrationsCommandOptions<C extends ServiceConfig> {
  service: string;
  configClass: new () => C;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
}

/** A service's `migrate` command: apply pending migrations to its database, then exit. */
export async function runMigrationsCommand<C extends ServiceConfig>(options: MigrationsCommandOptions<C>): Promise<void> {
  const config = loadConfigOrExit(options.configClass, options.service);
  const logger = createLogger(options.service, config.LOG_LEVEL);
  const dataSource = createServiceDataSource({
    url: config.DATABASE_URL,
    service: options.service,
    entities: options.entities,
    migrations: options.migrations,
  });
  try {
    const applied = await runMigrations(dataSource, (line) => logger.info(line));
    logger.info({ applied: applied.length }, `${options.service}: database is up to date`);
  } catch (error) {
    logger.fatal({ err: error }, `${options.service}: migration failed`);
    process.exitCode = 1;
  }
}
