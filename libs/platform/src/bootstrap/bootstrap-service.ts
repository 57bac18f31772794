import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { ServiceConfig } from '../config/service-config';

export interface BootstrapOptions {
  /** Nest's own JSON body parser; the gateway turns it off for proxied routes. */
  bodyParser?: boolean;
  /** Largest JSON body accepted. */
  jsonLimit?: string;
  /** Last chance to add Express middleware before the app listens. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/**
 * Creates, configures and starts a service: JSON logs, shutdown hooks (SIGTERM/SIGINT drain
 * the service: stop taking requests, stop consumers, flush the outbox), then listen.
 */
export async function bootstrapService(
  rootModule: Type | ReturnType<typeof Object>,
  config: ServiceConfig,
  options: BootstrapOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  if (options.bodyParser ?? true) app.useBodyParser('json', { limit: options.jsonLimit ?? '1mb' });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await options.configure?.(app);
  await app.listen(config.PORT, config.HOST);
  return app;
}
