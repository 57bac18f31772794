import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { OfferPauseReason } from '@kami/contracts';
import { Messaging, type Identity } from '@kami/platform';
import { recordAudit } from '../audit/audit-log';
import { appendOfferChanged } from './offer-events';
import { OfferEntity } from './offer.entity';

export type OfferSelection = { supplierId: string } | { supplierId: string; brandId: string } | { productId: string } | { productId: string; supplierIds: string[] };

/**
 * Pauses offers when a precondition of selling lapses (brand authorisation revoked or expired,
 * product retired, supplier deposit below the minimum), and resumes those paused for a reason that
 * no longer holds: in the caller's transaction, with one event and one audit entry per offer.
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
          : 'brandId' in selection
            ? { supplierId: selection.supplierId, brandId: selection.brandId }
            : { supplierId: selection.supplierId };
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
   * Re-activates a supplier's offers paused for `reason` now that it no longer holds, as the
   * supplier's own activation would: only offers of an active product whose brand the supplier
   * holds an approved, unexpired authorisation for (those rows taken FOR SHARE first, in the same
   * order as activation and revocation take them); any other stays paused until its supplier acts.
   */
  async resumePaused(manager: EntityManager, supplierId: string, reason: OfferPauseReason, traceId?: string): Promise<string[]> {
    const authorised: { brand_id: string }[] = await manager.query(
      `SELECT brand_id::text FROM brand_authorisation WHERE supplier_id = $1 AND status = 'approved' AND expires_at > now() ORDER BY id FOR SHARE`,
      [supplierId],
    );
    if (authorised.length === 0) return [];
    const resumable: { id: string }[] = await manager.query(
      `SELECT o.id::text FROM offer o JOIN product p ON p.id = o.product_id
        WHERE o.supplier_id = $1 AND o.status = 'paused' AND o.paused_reason = $2 AND p.status = 'active' AND o.brand_id = ANY($3::uuid[])
        ORDER BY o.id FOR UPDATE OF o`,
      [supplierId, reason, authorised.map((a) => a.brand_id)],
    );
    if (resumable.length === 0) return [];
    const ids = resumable.map((o) => o.id);
    const repository = manager.getRepository(OfferEntity);
    await repository.update({ id: In(ids) }, { status: 'active', pausedReason: null, version: () => 'version + 1' });
    for (const offer of await repository.findBy({ id: In(ids) })) {
      await appendOfferChanged(this.messaging, manager, offer, 'activated', traceId);
      await recordAudit(manager, 'system', 'offer.resumed', { type: 'offer', id: offer.id }, { pausedFor: reason });
    }
    return ids;
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
