import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RefundCompletedPayload, RefundRefusedPayload, ReplacementAllocatedPayload, ReplacementFailedPayload } from '@kami/contracts';
import { withdrawCodes, withdrawRefundedFromLine } from '../codes/withdrawn-codes';
import { OUTCOME_MOVES, type Move } from './dispute-state';
import { DisputeStore, type Actor } from './dispute-store';

/**
 * The answers to disputes' commands, each applied in the consumer's transaction and only to a
 * dispute still waiting for it (a guarded move), so a redelivered or repeated answer changes nothing.
 * A replacement code joins the delivery ledger on the disputed code's order line, in the disputed
 * code's place (its position) and with the same destination, so the buyer reads it where it read
 * the first (the order's codes, or its purchased stock); the disputed code is withdrawn, as is a
 * refunded one: the buyer never reads it again (withdrawn-codes.ts).
 */
@Injectable()
export class DisputeOutcomes {
  private readonly logger = new Logger(DisputeOutcomes.name);

  constructor(private readonly store: DisputeStore) {}

  async replaced(manager: EntityManager, eventId: string, p: ReplacementAllocatedPayload): Promise<void> {
    const dispute = await this.store.find(manager, p.disputeId, 'system', true);
    if (!dispute) return this.unknown(p.disputeId, 'vault.replacement.allocated');
    if (dispute.buyer_id !== p.buyerId || dispute.code_id !== p.originalCodeId) throw new Error(`replacement for dispute ${p.disputeId} names another buyer or code`);
    // The vault sold the code to the buyer: the ledger records it whatever the dispute's status now,
    // in the disputed code's place, which the buyer no longer holds (withdrawn first: one held code per position).
    await withdrawCodes(manager, [dispute.code_id], 'replaced', dispute.id);
    const added: { code_id: string }[] = await manager.query(
      `INSERT INTO delivered_code (code_id, buyer_id, order_id, line_id, product_id, offer_id, supplier_id, position, destination, replaces_code_id)
       SELECT $1, o.buyer_id, o.order_id, o.line_id, o.product_id, o.offer_id, o.supplier_id, o.position, o.destination, o.code_id
         FROM delivered_code o WHERE o.code_id = $2
       ON CONFLICT (code_id) DO NOTHING RETURNING code_id::text`,
      [p.codeId, dispute.code_id],
    );
    if (added.length === 0) {
      const held: { replaces: string | null }[] = await manager.query(`SELECT replaces_code_id::text AS replaces FROM delivered_code WHERE code_id = $1`, [p.codeId]);
      // Already in the ledger for another reason would be a double sale upstream: never hand it out twice.
      if (held[0]?.replaces !== dispute.code_id) throw new Error(`replacement code of dispute ${p.disputeId} is already delivered elsewhere`);
    }
    await this.apply(manager, p.disputeId, OUTCOME_MOVES.replaced, { type: 'vault', eventId }, { replacementCodeId: p.codeId });
  }

  async replacementFailed(manager: EntityManager, eventId: string, p: ReplacementFailedPayload): Promise<void> {
    await this.apply(manager, p.disputeId, OUTCOME_MOVES.replacementFailed, { type: 'vault', eventId }, { failureCode: p.reason });
  }

  /**
   * A refund settlement made: a dispute's (its request id is the dispute's) takes the disputed code
   * from the buyer and settles the dispute; an operator's over HTTP (no request id) names only the
   * line and a quantity, so that many of the line's codes are withdrawn (withdrawRefundedFromLine).
   */
  async refunded(manager: EntityManager, eventId: string, p: RefundCompletedPayload): Promise<void> {
    if (!p.requestId) {
      const codeIds = await withdrawRefundedFromLine(manager, p.lineId, p.quantity, p.refundId);
      this.logger.log({ refundId: p.refundId, orderId: p.orderId, lineId: p.lineId, withdrawn: codeIds.length }, "operator's refund: codes withdrawn");
      return;
    }
    const dispute = await this.store.find(manager, p.requestId, 'system', true);
    if (dispute) await withdrawCodes(manager, [dispute.code_id], 'refunded', dispute.id);
    await this.apply(manager, p.requestId, OUTCOME_MOVES.refunded, { type: 'settlement', eventId }, { refundAmount: p.amount, refundCurrency: p.currency });
  }

  async refundRefused(manager: EntityManager, eventId: string, p: RefundRefusedPayload): Promise<void> {
    await this.apply(manager, p.requestId, OUTCOME_MOVES.refundRefused, { type: 'settlement', eventId }, { failureCode: p.code });
  }

  private async apply(manager: EntityManager, disputeId: string, move: Move, actor: Actor, set: Parameters<DisputeStore['move']>[5]): Promise<void> {
    const dispute = await this.store.find(manager, disputeId, 'system', true);
    if (!dispute) return this.unknown(disputeId, move.to);
    if (!move.from.includes(dispute.status) || !(await this.store.move(manager, disputeId, dispute.status, move.to, actor, set))) {
      this.logger.warn({ disputeId, status: dispute.status, outcome: move.to }, 'dispute outcome for a dispute not waiting for it; ignored');
      return;
    }
    this.logger.log({ disputeId, status: move.to }, 'dispute moved');
  }

  private unknown(disputeId: string, what: string): void {
    // A request id that is no dispute of this delivery (another deployment sharing the broker).
    this.logger.warn({ disputeId, what }, 'outcome for an unknown dispute; ignored');
  }
}
