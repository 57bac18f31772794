import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Messaging, Redis, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { upstreamUrls } from '../routing/route-table';

const TIMEOUT_MS = 2000;
/** A report this young is answered again instead of asking every service anew. */
const REUSE_MS = 2000;

export type Check = { status: 'up' | 'down'; responseTimeMs: number; error?: string; details?: unknown };

export interface SystemHealthReport {
  status: 'ok' | 'degraded';
  gateway: Record<'postgres' | 'redis' | 'kafka', Check>;
  services: Record<string, Check>;
}

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
 * The whole system at a glance: the gateway's own dependencies (PostgreSQL, Redis, Kafka) and every
 * service's readiness with its dependencies. One check runs at a time and its report is reused for
 * REUSE_MS, so however many ask, the services are asked at most that often.
 */
@Injectable()
export class SystemHealth {
  private latest?: { at: number; report: Promise<SystemHealthReport> };

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly redis: Redis,
    private readonly messaging: Messaging,
  ) {}

  report(): Promise<SystemHealthReport> {
    if (!this.latest || Date.now() - this.latest.at > REUSE_MS) this.latest = { at: Date.now(), report: this.check() };
    return this.latest.report;
  }

  private async check(): Promise<SystemHealthReport> {
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
    const all = [postgres!, redis!, kafka!, ...serviceChecks];
    return {
      status: all.every((c) => c.status === 'up') ? 'ok' : 'degraded',
      gateway: { postgres: postgres!, redis: redis!, kafka: kafka! },
      services: Object.fromEntries(services.map(([name], i) => [name, serviceChecks[i]!])),
    };
  }
}
