import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { TopupsService } from './topups.service';

/**
 * Closes top-ups whose payment intent expired unpaid, as the provider closes the intent itself
 * (every TOPUP_EXPIRY_SWEEP_INTERVAL_MS). Each one is claimed with SKIP LOCKED in its own
 * transaction, so several instances sweep side by side; the provider is asked first and a payment
 * it reports as paid is credited instead (see TopupsService.closeNextExpired). One the provider
 * cannot answer about stays pending and is retried on the next sweep.
 */
@Injectable()
export class TopupExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TopupExpiry.name);
  private readonly task: PeriodicTask;
  private stopping = false;

  constructor(
    private readonly topups: TopupsService,
    @Inject(SERVICE_CONFIG) config: SettlementConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.TOPUP_EXPIRY_SWEEP_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.error({ err: error }, 'top-up expiry sweep failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    this.stopping = true;
    return this.task.stop();
  }

  /** Closes every top-up due at `now`; answers how many expired and how many were credited. */
  async sweep(now = new Date()): Promise<{ expired: number; credited: number }> {
    const counts = { expired: 0, credited: 0 };
    const passed: string[] = [];
    while (!this.stopping) {
      const closed = await this.topups.closeNextExpired(now, passed);
      if (!closed) break;
      if (closed.outcome === 'unresolved') passed.push(closed.id);
      else counts[closed.outcome] += 1;
    }
    if (counts.expired + counts.credited > 0) this.logger.log(counts, 'closed top-ups past their expiry');
    return counts;
  }
}
