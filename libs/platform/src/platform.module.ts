import {
  Global,

  Module,
  type Abstract,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { Server } from 'node:http';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger as PinoLogger } from 'pino';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';
import { AccessGuard, IdentityResolver } from './auth/access';
import { MemoryReplayGuard, RedisReplayGuard, ReplayGuard } from './auth/replay-guard';
import { SignedIdentityResolver } from './auth/signed-identity.resolver';
import type { ServiceConfig, WithRedis } from './config/service-config';
import { flushTracing } from '@kami/tracing';
import { serviceDataSourceOptions } from './database/data-source';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { createValidationPipe } from './errors/validation';
import { HealthController } from './health/health.controller';
import { Messaging } from './kafka/messaging';
import { createLogger, createLoggingModule } from './logging/logging';
import { HttpMetricsInterceptor } from './metrics/http-metrics.interceptor';
import { initMetrics } from './metrics/metrics';
import { createRedis, Redis } from './redis/redis';
import { ROOT_LOGGER, SERVICE_CONFIG, SERVICE_NAME } from './platform.tokens';

export interface PlatformModuleOptions<C extends ServiceConfig> {
  service: string;
  config: C;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
  /** Topics the service publishes through its outbox. */
  producesTopics?: readonly string[];
  /** Connect to Redis (the config must then carry REDIS_URL). */
  redis?: boolean;
  /**
   * How callers are identified. Services behind the gateway keep `forwarded` (the gateway's
   * signed header). The gateway says `custom` and registers `accessControlProviders(itsResolver)`.
   */
  identity?: 'forwarded' | 'custom';
}

/** The global access guard and the resolver it asks who a request comes from. */
export function accessControlProviders(resolver: Type<IdentityResolver>): Provider[] {
  return [
    resolver,
    { provide: IdentityResolver, useExisting: resolver },
    { provide: APP_GUARD, useClass: AccessGuard },
  ];
}

/** Starts messaging after boot and stops it (consumers, outbox flush, producer, Redis) on shutdown. */
class PlatformLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly messaging: Messaging,
    private readonly logger: PinoLogger,
    private readonly http: HttpAdapterHost,
    private readonly redis?: Redis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.messaging.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'shutting down: draining consumers and flushing the outbox');
    // Stop taking new connections first; requests in flight finish while we drain.
    const server = this.http.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) {
      server.close();
      server.closeIdleConnections();
    }
    await this.messaging.stop();
    if (this.redis) await this.redis.quit().catch(() => undefined);
    await flushTracing();
  }
}

/**
 * The kit every Kami service stands on: validated config, JSON logs, its own PostgreSQL
 * database, Kafka outbox/inbox, health, metrics, problem+json errors, DTO validation and the
 * access guard. Import it once, in the service's root module.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot<C extends ServiceConfig>(options: PlatformModuleOptions<C>): DynamicModule {
    const { service, config } = options;
    initMetrics(service);
    const rootLogger = createLogger(service, config.LOG_LEVEL);

    const providers: Provider[] = [
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: SERVICE_NAME, useValue: service },
      { provide: ROOT_LOGGER, useValue: rootLogger },
      {
        provide: Messaging,
        inject: [DataSource],
        useFactory: (dataSource: DataSource) =>
          new Messaging({
            service,
            brokers: config.KAFKA_BROKERS,
            dataSource,
            logger: rootLogger,
            producesTopics: options.producesTopics ?? [],
            outboxPollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
            consumerMaxAttempts: config.CONSUMER_MAX_ATTEMPTS,
            consumerGroupPrefix: config.KAFKA_CONSUMER_GROUP_PREFIX,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
          }),
      },
      ...(options.identity === 'custom' ? [] : accessControlProviders(SignedIdentityResolver)),
      { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      { provide: APP_PIPE, useFactory: createValidationPipe },
      { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
    ];
    const exported: (string | symbol | Provider | Abstract<unknown>)[] = [SERVICE_CONFIG, SERVICE_NAME, ROOT_LOGGER, Messaging, ReplayGuard];
    if (options.redis) {
      const url = (config as unknown as WithRedis).REDIS_URL;
      providers.push({ provide: Redis, useFactory: () => createRedis(url) });
      exported.push(Redis);
      // Signed tokens are accepted once across every replica: their ids are remembered in Redis.
      const prefix = `${(config as { REDIS_KEY_PREFIX?: string }).REDIS_KEY_PREFIX ?? `kami:${service}:`}seen-token:`;
      providers.push({ provide: ReplayGuard, inject: [Redis], useFactory: (redis: Redis) => new RedisReplayGuard(redis, prefix) });
    } else {
      providers.push({ provide: ReplayGuard, useValue: new MemoryReplayGuard() });
    }
    providers.push({
      provide: PlatformLifecycle,
      inject: options.redis ? [Messaging, ROOT_LOGGER, HttpAdapterHost, Redis] : [Messaging, ROOT_LOGGER, HttpAdapterHost],
      useFactory: (messaging: Messaging, logger: PinoLogger, http: HttpAdapterHost, redis?: Redis) =>
        new PlatformLifecycle(messaging, logger, http, redis),
    });

    return {
      module: PlatformModule,
      imports: [
        createLoggingModule(service, config.LOG_LEVEL),
        TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' }),
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: config.DATABASE_URL,
            service,
            entities: options.entities,
            migrations: options.migrations,
            migrationsRun: config.RUN_MIGRATIONS_ON_START,
          }),
        ),
      ],
      // Metrics are served on METRICS_PORT, not here (bootstrapService).
      controllers: [HealthController],
      providers,
      exports: exported,
    };
  }
}

