import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { OfferPauseReason } from '@kami/contracts';
import { Messaging, type Identity } from '@kami/platform';
import { recordAudit } from '../audit/audit-log';
import { appendOfferChanged } from './offer-events';
import { OfferEntity } from './offer.entity';

export type OfferSelection = { supplierId: string; brandId: string } | { productId: string };

/**
 * Pauses offers when a precondition of selling lapses (brand authorisation revoked or expired,
 * product retired): in the caller's transaction, with one event and one audit entry per offer.
 * Used by products and brand authorisations, so it depends on nothing but the database and outbox.
 */
@Injectable()
export class OfferLifecycle {
  constructor(private readonly messaging: Messaging) {}

  async pauseActive(manager: EntityManager, selection: OfferSelection, reason: OfferPauseReason, actor: Identity | 'system', traceId?: string): Promise<string[]> {
    const where = 'productId' in selection ? { productId: selection.productId } : { supplierId: selection.supplierId, brandId: selection.brandId };
    const repository = manager.getRepository(OfferEntity);
    // Lock the rows: a supplier activating one at the same moment waits, then sees it paused.
    const active = await repository.find({ where: { ...where, status: 'active' }, lock: { mode: 'pessimistic_write' } });
    if (active.length === 0) return [];
    await repository.update({ id: In(active.map((o) => o.id)) }, { status: 'paused', pausedReason: reason, version: () => 'version + 1' });
    const paused = await repository.findBy({ id: In(active.map((o) => o.id)) });
    for (const offer of paused) {
      await appendOfferChanged(this.messaging, manager, offer, 'paused', traceId);
      await recordAudit(manager, actor, 'offer.paused', { type: 'offer', id: offer.id }, { reason });
    }
    return paused.map((o) => o.id);
  }
}
