import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import Redis from 'ioredis';
import { RESERVATION_REDIS_OPTIONS, ReservationCore } from '@kami/reservation';
import { SERVICE_CONFIG } from '@kami/platform';
import type { VaultConfig } from '../config/vault.config';

export const RESERVATION_REDIS = Symbol('RESERVATION_REDIS');

/**
 * The reservation core's own Redis connection, with the pipelining the core is tuned for
 * (RESERVATION_REDIS_OPTIONS): most of its throughput under load.
 */
export const reservationCoreProviders: Provider[] = [
  {
    provide: RESERVATION_REDIS,
    inject: [SERVICE_CONFIG],
    useFactory: (config: VaultConfig) =>
      new Redis(config.REDIS_URL, {
        ...RESERVATION_REDIS_OPTIONS,
        keyPrefix: config.REDIS_KEY_PREFIX,
        maxRetriesPerRequest: 2,
        connectTimeout: 3000,
      }),
  },
  { provide: ReservationCore, inject: [RESERVATION_REDIS], useFactory: (redis: Redis) => new ReservationCore({ redis }) },
];

/** Closes the core's Redis connection when the service stops (after consumers and sweepers have drained). */
@Injectable()
export class ReservationRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(RESERVATION_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
