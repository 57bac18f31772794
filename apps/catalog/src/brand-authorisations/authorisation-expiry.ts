import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { PeriodicTask, ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { CatalogConfig } from '../config/catalog.config';
import { BrandAuthorisationsService } from './brand-authorisations.service';

/** Expires lapsed brand authorisations on a timer (and pauses what they covered). */
@Injectable()
export class AuthorisationExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly authorisations: BrandAuthorisationsService,
    @Inject(SERVICE_CONFIG) config: CatalogConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoLogger,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.AUTHORISATION_EXPIRY_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.warn({ err: error }, 'brand authorisation expiry sweep failed; retrying on the next tick'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  private async sweep(): Promise<void> {
    let expired: number;
    do {
      expired = await this.authorisations.expireLapsed();
      if (expired > 0) this.logger.info({ expired }, 'brand authorisations expired');
    } while (expired > 0);
  }
}
