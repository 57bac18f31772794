import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access';
import { DomainError } from '../errors/domain-error';
import { Messaging } from '../kafka/messaging';
import { Redis } from '../redis/redis';

const CHECK_TIMEOUT_MS = 2000;

/**
 * Liveness (`/health/live`: the process answers) and readiness (`/health/ready`: PostgreSQL,
 * Kafka and, where used, Redis answer). Orchestrators route traffic only to ready instances.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    @Optional() @Inject(Redis) private readonly redis?: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => this.indicators.check('postgres').attempt(async () => void (await this.dataSource.query('SELECT 1'))).withTimeout(CHECK_TIMEOUT_MS),
      () => this.indicators.check('kafka').attempt(() => this.messaging.ping()).withTimeout(CHECK_TIMEOUT_MS).cacheFor(2000),
    ];
    const redis = this.redis;
    if (redis) {
      checks.push(() => this.indicators.check('redis').attempt(async () => void (await redis.ping())).withTimeout(CHECK_TIMEOUT_MS));
    }
    return this.health.check(checks).catch((error: unknown) => {
      if (error instanceof ServiceUnavailableException) {
        // Keep terminus's per-dependency details in the 503 body so operators see what is down.
        throw new DomainError('not_ready', 503, 'A dependency is down.', { checks: error.getResponse() });
      }
      throw error;
    });
  }
}
