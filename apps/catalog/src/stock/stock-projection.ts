import { Injectable, type OnModuleInit } from '@nestjs/common';
import { StockChanged, type EventEnvelope, type StockChangedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';

/**
 * Keeps each offer's available count from vault's stock events. The inbox drops a redelivered
 * event; the sequence guard drops an older one arriving late, so counts never move backwards.
 */
@Injectable()
export class StockProjection implements OnModuleInit {
  constructor(private readonly messaging: Messaging) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('stock', [
      {
        events: [StockChanged],
        handler: async (envelope, { manager, logger }) => {
          const { offerId, supplierId, sequence, available } = (envelope as EventEnvelope<StockChangedPayload>).payload;
          const updated: unknown[] = await manager.query(
            `UPDATE offer SET stock_available = $3, stock_sequence = $4, stock_updated_at = $5
              WHERE id = $1 AND supplier_id = $2 AND stock_sequence < $4
              RETURNING id`,
            [offerId, supplierId, available, sequence, envelope.occurredAt],
          );
          if (updated.length === 0) logger.debug({ offerId, sequence }, 'stock event older than the count we hold, or for an offer we do not know');
        },
      },
    ], { batched: true });
  }
}
