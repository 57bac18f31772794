import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { OfferPauseReason } from '@kami/contracts';
import { Messaging, type Identity } from '@kami/platform';
import { recordAudit } from '../audit/audit-log';
import { appendOfferChanged } from './offer-events';
import { OfferEntity } from './offer.entity';

export type OfferSelection = { supplierId: string; brandId: string } | { productId: string } | { productId: string; supplierIds: string[] };

/**
 * Pauses offers when a precondition of selling lapses (brand authorisation revoked or expired,
 * product retired): in the caller's transaction, with one event and one audit entry per offer.
 * Used by products and brand authorisations, so it depends on nothing but the database and outbox.
 */
@Injectable()
export class OfferLifecycle {
  constructor(private readonly messaging: Messaging) {}

  async pauseActive(manager: EntityManager, selection: OfferSelection, reason: OfferPauseReason, actor: Identity | 'system', traceId?: string): Promise<string[]> {
    const where =
      'supplierIds' in selection
        ? { productId: selection.productId, supplierId: In(selection.supplierIds) }
        : 'productId' in selection
          ? { productId: selection.productId }
          : { supplierId: selection.supplierId, brandId: selection.brandId };
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

  /**
   * A product moved to another brand: its offers follow (brand_id is kept on each offer), and the
   * active ones of suppliers without a valid authorisation for the new brand are paused.
   */
  async moveProductToBrand(manager: EntityManager, productId: string, brandId: string, actor: Identity, traceId?: string): Promise<string[]> {
    await manager.query(`UPDATE offer SET brand_id = $2 WHERE product_id = $1`, [productId, brandId]);
    const unauthorised: { supplier_id: string }[] = await manager.query(
      `SELECT DISTINCT o.supplier_id FROM offer o
        WHERE o.product_id = $1 AND o.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM brand_authorisation a
                           WHERE a.supplier_id = o.supplier_id AND a.brand_id = $2 AND a.status = 'approved' AND a.expires_at > now())`,
      [productId, brandId],
    );
    if (unauthorised.length === 0) return [];
    return this.pauseActive(manager, { productId, supplierIds: unauthorised.map((r) => r.supplier_id) }, 'product_brand_changed', actor, traceId);
  }
}
