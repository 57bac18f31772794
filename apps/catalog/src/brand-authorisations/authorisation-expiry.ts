import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { CatalogConfig } from '../config/catalog.config';
import { BrandAuthorisationsService } from './brand-authorisations.service';

/** Expires lapsed brand authorisations on a timer (and pauses what they covered). */
@Injectable()
export class AuthorisationExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly authorisations: BrandAuthorisationsService,
    @Inject(SERVICE_CONFIG) private readonly config: CatalogConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, this.config.AUTHORISATION_EXPIRY_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async sweep(): Promise<void> {
    try {
      let expired: number;
      do {
        expired = await this.authorisations.expireLapsed();
        if (expired > 0) this.logger.info({ expired }, 'brand authorisations expired');
      } while (expired > 0);
    } catch (error) {
      this.logger.warn({ err: error }, 'brand authorisation expiry sweep failed; retrying on the next tick');
    }
  }
}
