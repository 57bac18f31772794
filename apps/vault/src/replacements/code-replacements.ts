import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ReplacementAllocated, ReplacementFailed, type ReplacementFailure, type ReplacementRequestedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { ReservationCore } from '@kami/reservation';
import type { CommitOutcome, ReserveOutcome } from '../allocation/allocation-store';
import { Allocator, type AfterCommit, type ReserveRequest } from '../allocation/allocator';
import { StaleStockError } from '../allocation/order-allocations';

/**
 * The vault's step of a dispute answered with a replacement: one available code of the disputed
 * code's offer is sold to the same buyer, for the same order, through the allocation machinery
 * every sale goes through (a reservation of one code, id = the dispute id, reserved and committed
 * in the consumer's transaction), so the counters stay uploaded = available + reserved + sold + void
 * and Redis follows PostgreSQL. All or nothing, once per dispute: a repeated request answers the
 * same code; a failed one (no stock) may be retried once the supplier has uploaded more.
 */
@Injectable()
export class CodeReplacements {
  private readonly logger = new Logger(CodeReplacements.name);

  constructor(
    private readonly allocator: Allocator,
    private readonly core: ReservationCore,
    private readonly messaging: Messaging,
  ) {}

  async replace(manager: EntityManager, request: ReplacementRequestedPayload, afterCommit: (a: AfterCommit) => void): Promise<void> {
    const { disputeId } = request;
    // Two deliveries of one dispute's request never sell side by side.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`replacement:${disputeId}`]);
    const earlier: { status: 'allocated' | 'failed'; code_id: string | null }[] = await manager.query(
      `SELECT status, code_id::text FROM code_replacement WHERE dispute_id = $1`,
      [disputeId],
    );
    if (earlier[0]?.status === 'allocated') return this.answerAllocated(manager, request, earlier[0].code_id!);
    if (!(await this.soldToBuyer(manager, request))) return this.fail(manager, request, 'code_not_sold_to_buyer');

    const codeId = await this.sellOne(manager, request, afterCommit);
    if (codeId === undefined) return this.fail(manager, request, 'out_of_stock');
    await manager.query(
      `INSERT INTO code_replacement (dispute_id, original_code_id, offer_id, buyer_id, order_id, line_id, status, code_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'allocated', $7)
       ON CONFLICT (dispute_id) DO UPDATE SET status = 'allocated', code_id = EXCLUDED.code_id, reason = NULL,
              attempts = code_replacement.attempts + 1, updated_at = now()`,
      [disputeId, request.codeId, request.offerId, request.buyerId, request.orderId, request.lineId, codeId],
    );
    this.logger.log({ disputeId, offerId: request.offerId, orderId: request.orderId }, 'disputed code replaced');
    await this.answerAllocated(manager, request, codeId);
  }

  /** The disputed code is one this buyer bought from this offer (delivery said so; the vault checks). */
  private async soldToBuyer(manager: EntityManager, request: ReplacementRequestedPayload): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM code c JOIN reservation r ON r.id = c.reservation_id
        WHERE c.id = $1 AND c.offer_id = $2 AND c.status = 'allocated' AND r.status = 'committed' AND r.buyer_id = $3`,
      [request.codeId, request.offerId, request.buyerId],
    );
    return rows.length === 1;
  }

  /** Reserves and sells one code for the dispute; undefined when the offer has none available. */
  private async sellOne(manager: EntityManager, request: ReplacementRequestedPayload, afterCommit: (a: AfterCommit) => void): Promise<string | undefined> {
    const { disputeId, offerId } = request;
    const reserve: ReserveRequest = { reservationId: disputeId, offerId, quantity: 1, orderId: request.orderId, buyerId: request.buyerId };
    let taken = await this.allocator.takeInRedis(reserve);
    if (taken.status === 'ended') {
      // Redis remembers a reservation PostgreSQL never recorded (an attempt rolled back after Redis answered): forget it.
      const known: unknown[] = await manager.query(`SELECT 1 FROM reservation WHERE id = $1`, [disputeId]);
      if (known.length > 0) throw new Error(`dispute ${disputeId}: its reservation ended without a recorded replacement`);
      await this.core.repair(offerId, disputeId, []);
      taken = await this.allocator.takeInRedis(reserve);
    }
    if (taken.status === 'insufficient') return undefined;
    if (taken.status === 'ended') throw new Error(`dispute ${disputeId}: Redis still holds its reservation as ${taken.state}`);

    const [reserved] = (await this.allocator.applyIn(manager, [this.allocator.reserveOp(reserve, taken)])) as ReserveOutcome[];
    if (reserved!.status === 'stale') {
      // PostgreSQL refused the code Redis offered: Redis is repaired and the event retried.
      await this.core.repair(offerId, disputeId, reserved!.valid);
      await this.allocator.staleStock([offerId]);
      throw new StaleStockError([offerId]);
    }
    if (reserved!.status !== 'reserved') throw new Error(`dispute ${disputeId}: its reservation id had been used and ended`);
    const [committed] = (await this.allocator.applyIn(manager, [{ kind: 'commit', reservationId: disputeId }])) as CommitOutcome[];
    if (committed!.status !== 'committed') throw new Error(`dispute ${disputeId}: the replacement's reservation could not be committed`);
    afterCommit(this.allocator.afterCommitOf(disputeId, committed!));
    return committed!.codeIds[0];
  }

  private async answerAllocated(manager: EntityManager, request: ReplacementRequestedPayload, codeId: string): Promise<void> {
    const { disputeId, buyerId, orderId, lineId, offerId } = request;
    await this.messaging.outbox.append(manager, ReplacementAllocated, {
      aggregateId: disputeId,
      payload: { disputeId, buyerId, orderId, lineId, offerId, originalCodeId: request.codeId, codeId },
    });
  }

  private async fail(manager: EntityManager, request: ReplacementRequestedPayload, reason: ReplacementFailure): Promise<void> {
    const { disputeId, orderId, lineId } = request;
    await manager.query(
      `INSERT INTO code_replacement (dispute_id, original_code_id, offer_id, buyer_id, order_id, line_id, status, reason)
       VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7)
       ON CONFLICT (dispute_id) DO UPDATE SET reason = EXCLUDED.reason, attempts = code_replacement.attempts + 1, updated_at = now()`,
      [disputeId, request.codeId, request.offerId, request.buyerId, orderId, lineId, reason],
    );
    this.logger.warn({ disputeId, offerId: request.offerId, reason }, 'disputed code not replaced');
    await this.messaging.outbox.append(manager, ReplacementFailed, { aggregateId: disputeId, payload: { disputeId, orderId, lineId, reason } });
  }
}
