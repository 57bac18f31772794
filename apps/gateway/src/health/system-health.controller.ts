import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, Public } from '@kami/platform';
import { SystemHealth, type SystemHealthReport } from './system-health';

/**
 * `GET /health`, for anyone (status pages, load balancers): 200 `{status: "up"}` when the gateway,
 * its dependencies and every service are ready, otherwise 503 `{status: "down"}` — nothing about
 * which part, or why. Rate limited per client like the API. (The gateway's own probes are
 * `/health/live` and `/health/ready`.)
 */
@ApiTags('health')
@Public()
@Controller('health')
export class PublicHealthController {
  constructor(private readonly health: SystemHealth) {}

  @Get()
  @ApiOperation({ summary: 'Whether the system is up (200) or down (503); details are for operators (GET /api/v1/system/health)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['up'] } } } })
  @ApiServiceUnavailableResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['down'] } } } })
  async system(@Res() res: Response): Promise<void> {
    const up = (await this.health.report()).status === 'ok';
    res.status(up ? 200 : 503).json({ status: up ? 'up' : 'down' });
  }
}

/**
 * `GET /api/v1/system/health`, for operators: every dependency of the gateway and every service's
 * readiness, each with its response time and, when down, its error. Always 200 (the answer is the
 * report); `status` says `ok` or `degraded`.
 */
@ApiTags('health')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Access({ organisationTypes: ['operator'] })
@Controller('api/v1/system')
export class OperatorHealthController {
  constructor(private readonly health: SystemHealth) {}

  @Get('health')
  @ApiOperation({ summary: 'Health of the gateway, its dependencies and every service, with errors (operators)' })
  @ApiOkResponse({ description: '`{status: ok|degraded, gateway: {postgres, redis, kafka}, services: {catalog, vault, …}}`, each check `{status, responseTimeMs, error?, details?}`' })
  report(): Promise<SystemHealthReport> {
    return this.health.report();
  }
}
