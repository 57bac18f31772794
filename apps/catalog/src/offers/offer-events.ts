import type { EntityManager } from 'typeorm';
import { OfferChanged, type OfferChange, type OfferChangedPayload } from '@kami/contracts';
import type { Messaging } from '@kami/platform';
import type { OfferEntity } from './offer.entity';

export function offerChangedPayload(offer: OfferEntity, change: OfferChange): OfferChangedPayload {
  return {
    offerId: offer.id,
    version: offer.version,
    change,
    productId: offer.productId,
    supplierId: offer.supplierId,
    sku: offer.sku,
    status: offer.status,
    pausedReason: offer.pausedReason,
    currency: offer.currency,
    priceTiers: offer.priceTiers.map(({ minQuantity, unitPrice }) => ({ minQuantity, unitPrice })),
    minOrderQuantity: offer.minOrderQuantity,
    maxOrderQuantity: offer.maxOrderQuantity,
    lowStockThreshold: offer.lowStockThreshold,
  };
}

/** Writes the offer's new snapshot to the outbox, in the caller's transaction. */
export async function appendOfferChanged(messaging: Messaging, manager: EntityManager, offer: OfferEntity, change: OfferChange, traceId?: string): Promise<void> {
  await messaging.outbox.append(manager, OfferChanged, { aggregateId: offer.id, payload: offerChangedPayload(offer, change), traceId });
}
