import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Messaging, Public, Redis, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { upstreamUrls } from '../routing/route-table';

const TIMEOUT_MS = 2000;

type Check = { status: 'up' | 'down'; responseTimeMs: number; error?: string; details?: unknown };

async function timed(fn: (signal: AbortSignal) => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  try {
    const details = await fn(signal);
    return { status: 'up', responseTimeMs: Date.now() - started, ...(details === undefined ? {} : { details }) };
  } catch (error) {
    return { status: 'down', responseTimeMs: Date.now() - started, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `GET /health`: the whole system at a glance — the gateway's own dependencies (PostgreSQL,
 * Redis, Kafka) and every service's readiness with its dependencies. 200 when all are up, 503
 * otherwise, with the same body either way.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class SystemHealthController {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: Redis,
    private readonly messaging: Messaging,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Health of the gateway, its dependencies and every service' })
  async system(@Res() res: Response): Promise<void> {
    const services = Object.entries(upstreamUrls(this.config));
    const [postgres, redis, kafka, ...serviceChecks] = await Promise.all([
      timed(() => this.dataSource.query('SELECT 1').then(() => undefined)),
      timed(() => this.redis.ping().then(() => undefined)),
      timed(() => this.messaging.ping()),
      ...services.map(([, url]) =>
        timed(async (signal) => {
          const response = await fetch(`${url}/health/ready`, { signal });
          const body = (await response.json().catch(() => ({}))) as { details?: unknown; checks?: { details?: unknown } };
          const details = body.details ?? body.checks?.details;
          if (!response.ok) throw Object.assign(new Error(`readiness answered ${response.status}`), { details });
          return details;
        }),
      ),
    ]);
    const report = {
      gateway: { postgres, redis, kafka },
      services: Object.fromEntries(services.map(([name], i) => [name, serviceChecks[i]])),
    };
    const allUp = [postgres, redis, kafka, ...serviceChecks].every((c) => c!.status === 'up');
    res.status(allUp ? 200 : 503).json({ status: allUp ? 'ok' : 'degraded', ...report });
  }
}
