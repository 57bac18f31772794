import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { accessControlProviders, PlatformModule } from '@kami/platform';
import { Topics } from '@kami/contracts';
import { ApiDocsModule } from './api-docs/api-docs.module';
import type { GatewayConfig } from './config/gateway.config';
import { GATEWAY_ENTITIES, GATEWAY_MIGRATIONS } from './database/gateway.migrations';
import { OperatorHealthController, PublicHealthController } from './health/system-health.controller';
import { SystemHealth } from './health/system-health';
import { GatewayIdentityResolver } from './identity/gateway-identity.resolver';
import { ApiKeyScopeMiddleware } from './identity/api-keys/api-key-scope.middleware';
import { IdentityModule } from './identity/identity.module';
import { RateLimitMiddleware } from './rate-limit/rate-limit.middleware';
import { RateLimits } from './rate-limit/rate-limits';
import { JsonBodyMiddleware } from './routing/json-body.middleware';
import { ProxyMiddleware } from './routing/proxy.middleware';
import { StockPullBatcher } from './routing/stock-pull-batcher';

/** The gateway: identity, rate limiting, routing to the services, API docs. */
@Module({})
export class GatewayModule implements NestModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot({
          service: 'gateway',
          config,
          entities: GATEWAY_ENTITIES,
          migrations: GATEWAY_MIGRATIONS,
          producesTopics: [Topics.IdentityOrganisation],
          redis: true,
          identity: 'custom',
        }),
        IdentityModule,
        ApiDocsModule,
      ],
      controllers: [PublicHealthController, OperatorHealthController],
      providers: [...accessControlProviders(GatewayIdentityResolver), SystemHealth, RateLimits, RateLimitMiddleware, ApiKeyScopeMiddleware, ProxyMiddleware, StockPullBatcher, JsonBodyMiddleware],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(RateLimitMiddleware, ApiKeyScopeMiddleware, ProxyMiddleware)
      // The probes (/health/live, /health/ready) are not limited; the public /health is.
      .exclude({ path: 'health/{*path}', method: RequestMethod.ALL })
      .forRoutes('*');
    consumer.apply(JsonBodyMiddleware).forRoutes('api/v1/identity/{*path}');
  }
}
