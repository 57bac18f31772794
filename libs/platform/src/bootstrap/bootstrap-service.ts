import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { Logger } from 'nestjs-pino';
import { recordBodyDigest } from '../auth/request-token';
import { answerParserErrorsWithProblems } from '../http/client-errors';
import { assertJsonDepth } from '../http/json-body-limits';
import type { ServiceConfig } from '../config/service-config';
import { startMetricsServer } from '../metrics/metrics-server';
import { InternalOpenApiModule, serveInternalOpenApi } from '../openapi/service-openapi';

export interface BootstrapOptions {
  /** The service's name (titles its OpenAPI document). */
  service?: string;
  /**
   * Generate the service's OpenAPI document at boot and serve it at `GET /internal/openapi.json`
   * for the gateway to merge into the public one. Default true; the gateway, which publishes the
   * merged document itself, turns it off.
   */
  internalOpenApi?: boolean;
  /** Nest's own JSON body parser; the gateway turns it off for proxied routes. */
  bodyParser?: boolean;
  /** Largest JSON body accepted. */
  jsonLimit?: string;
  /** Last chance to add Express middleware before the app listens. */
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

/** The service's module next to the internal OpenAPI route (the service's own modules stay untouched). */
@Module({})
class ServiceRootModule {}

function withInternalOpenApi(rootModule: Type | DynamicModule): DynamicModule {
  return { module: ServiceRootModule, imports: [rootModule, InternalOpenApiModule] };
}

/**
 * Creates, configures and starts a service: JSON logs, its OpenAPI document at
 * `/internal/openapi.json`, shutdown hooks (SIGTERM/SIGINT drain the service: stop taking
 * requests, stop consumers, flush the outbox), then listen; and, when METRICS_PORT is set, the
 * Prometheus endpoint on that port of its own (closed with the service).
 */
export async function bootstrapService(
  rootModule: Type | DynamicModule,
  config: ServiceConfig,
  options: BootstrapOptions = {},
): Promise<INestApplication> {
  const internalOpenApi = options.internalOpenApi ?? true;
  const app = await NestFactory.create<NestExpressApplication>(internalOpenApi ? withInternalOpenApi(rootModule) : rootModule, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Before JSON.parse: a body nested too deep is refused (nothing recursive ever walks it), then the
  // digest of the bytes parsed is kept (signed identities and service tokens are bound to it).
  if (options.bodyParser ?? true) {
    app.use(
      json({
        limit: options.jsonLimit ?? '1mb',
        verify: (req, res, buffer) => {
          assertJsonDepth(buffer);
          recordBodyDigest(req, res, buffer);
        },
      }),
    );
  }
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  if (internalOpenApi) serveInternalOpenApi(app, options.service ?? 'service');
  await options.configure?.(app);
  answerParserErrorsWithProblems(app.getHttpServer() as Server);
  await app.listen(config.PORT, config.HOST);
  if (config.METRICS_PORT !== undefined) {
    const metrics = await startMetricsServer(config.METRICS_PORT, config.METRICS_HOST);
    (app.getHttpServer() as Server).once('close', () => metrics.close());
  }
  return app;
}
