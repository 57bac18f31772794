import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DepositStatusChanged, type DepositStatusChangedPayload, type EventEnvelope } from '@kami/contracts';
import { Messaging, SERVICE_CONFIG } from '@kami/platform';
import type { CatalogConfig } from '../config/catalog.config';
import { OfferLifecycle } from '../offers/offer-lifecycle';
import { depositEffect } from './deposit-effect';

/**
 * Whether each supplier's deposit (保证金) covers settlement's minimum, from
 * `settlement.deposit.status_changed` (newest by sequence). An offer may be activated only while
 * its supplier's deposit is known to cover it; a status that stops covering pauses the supplier's
 * active offers (`deposit_insufficient`), one that covers again resumes them. With
 * SUPPLIER_DEPOSIT_REQUIRED=false the statuses are still kept, but gate nothing.
 */
@Injectable()
export class SupplierDeposits implements OnModuleInit {
  private readonly required: boolean;

  constructor(
    private readonly messaging: Messaging,
    private readonly lifecycle: OfferLifecycle,
    @Inject(SERVICE_CONFIG) config: CatalogConfig,
  ) {
    this.required = config.SUPPLIER_DEPOSIT_REQUIRED;
  }

  /**
   * Whether the supplier's offers may be active now. With `lock`, its status row is held (FOR
   * SHARE) until the caller commits: a status that stops covering waits, then pauses what the
   * caller activated.
   */
  async covers(manager: EntityManager, supplierId: string, lock = false): Promise<boolean> {
    if (!this.required) return true;
    const rows: { covered: boolean }[] = await manager.query(`SELECT covered FROM supplier_deposit WHERE supplier_id = $1 ${lock ? 'FOR SHARE' : ''}`, [supplierId]);
    return rows[0]?.covered === true;
  }

  onModuleInit(): void {
    this.messaging.registerConsumer('supplier-deposits', [
      {
        events: [DepositStatusChanged],
        handler: async (envelope, { manager, logger }) => {
          const { payload, traceId } = envelope as EventEnvelope<DepositStatusChangedPayload>;
          const held: { sequence: string }[] = await manager.query(`SELECT sequence::text FROM supplier_deposit WHERE supplier_id = $1 FOR UPDATE`, [payload.supplierId]);
          const effect = depositEffect(held[0] ? { sequence: Number(held[0].sequence) } : undefined, payload);
          if (effect === 'stale') {
            logger.debug({ supplierId: payload.supplierId, sequence: payload.sequence }, 'deposit status older than the one we hold');
            return;
          }
          await manager.query(
            `INSERT INTO supplier_deposit (supplier_id, covered, sequence, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (supplier_id) DO UPDATE SET covered = EXCLUDED.covered, sequence = EXCLUDED.sequence, updated_at = now()`,
            [payload.supplierId, payload.covered, payload.sequence],
          );
          if (!this.required) return;
          const moved =
            effect === 'pause'
              ? await this.lifecycle.pauseActive(manager, { supplierId: payload.supplierId }, 'deposit_insufficient', 'system', traceId)
              : await this.lifecycle.resumePaused(manager, payload.supplierId, 'deposit_insufficient', traceId);
          if (moved.length > 0) logger.info({ supplierId: payload.supplierId, effect, offers: moved.length }, 'offers follow the supplier deposit');
        },
      },
    ]);
  }
}
