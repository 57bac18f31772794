import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefundRequested, ReplacementRequested } from '@kami/contracts';
import { Messaging, SERVICE_CONFIG, type CursorPage, type Identity } from '@kami/platform';
import { withdrawnError, type WithdrawnReason } from '../codes/withdrawn-codes';
import type { DeliveryConfig } from '../config/delivery.config';
import { decisionMove, isRepeatOf, type Decider, type DisputeDecision } from './dispute-state';
import { DisputeStore, toDisputeDto, viewerOf, type DisputeRow } from './dispute-store';
import type { CreateDisputeDto, DisputeDto, ListDisputesQuery } from './dispute.dto';
import { codeAlreadyDisputed, codeNotFound, disputeNotActionable, disputeNotFound, disputeWindowClosed } from './disputes.errors';

/** The largest code id PostgreSQL's bigint holds: a longer id names no code. */
const MAX_CODE_ID = 9_223_372_036_854_775_807n;

/**
 * Disputes over HTTP: the buyer opens one about a code delivered to it (within the dispute
 * window, once per code; the code is frozen), the supplier answers it (replace, refund, contest)
 * and operators resolve what is left. Each decision is one transaction: the guarded move, its
 * transition and the command it sends (to the vault or settlement) through the outbox.
 */
@Injectable()
export class DisputesService {
  private readonly logger = new Logger(DisputesService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    private readonly store: DisputeStore,
    @Inject(SERVICE_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  async open(identity: Identity, body: CreateDisputeDto): Promise<DisputeDto> {
    const buyer = viewerOf(identity);
    if (BigInt(body.codeId) > MAX_CODE_ID) throw codeNotFound();
    const id = await this.dataSource.transaction(async (manager) => {
      const codes: { delivered_at: Date; closed: boolean; withdrawn_reason: WithdrawnReason | null }[] = await manager.query(
        `SELECT delivered_at, delivered_at <= now() - make_interval(secs => $3) AS closed, withdrawn_reason
           FROM delivered_code WHERE code_id = $1 AND buyer_id = $2 FOR UPDATE`,
        [body.codeId, buyer.organisationId, this.config.DISPUTE_WINDOW_SECONDS],
      );
      const code = codes[0];
      if (!code) throw codeNotFound();
      const earlier: { id: string }[] = await manager.query(`SELECT id::text FROM dispute WHERE code_id = $1`, [body.codeId]);
      if (earlier[0]) throw codeAlreadyDisputed(earlier[0].id);
      // Refunded (an operator's refund of its line) or replaced: the buyer holds its money or another code instead.
      if (code.withdrawn_reason) throw withdrawnError(code.withdrawn_reason);
      if (code.closed) throw disputeWindowClosed(code.delivered_at, this.config.DISPUTE_WINDOW_SECONDS);

      const disputeId = randomUUID();
      // The code row is locked above, so no second dispute of it can be inserted meanwhile (the unique index stays the backstop).
      await manager.query(
        `INSERT INTO dispute (id, code_id, buyer_id, supplier_id, order_id, line_id, product_id, offer_id, reason, evidence, attachments, status)
         SELECT $1, c.code_id, c.buyer_id, c.supplier_id, c.order_id, c.line_id, c.product_id, c.offer_id, $3, $4, $5::jsonb, 'open'
           FROM delivered_code c WHERE c.code_id = $2`,
        [disputeId, body.codeId, body.reason, body.evidence ?? null, JSON.stringify(body.attachments ?? [])],
      );
      // Frozen: a disputed code is not pulled from purchased stock while it is in question.
      await manager.query(`UPDATE delivered_code SET frozen_at = now() WHERE code_id = $1`, [body.codeId]);
      await this.store.record(manager, disputeId, null, 'open', { type: 'buyer', organisationId: buyer.organisationId, principalId: buyer.principalId });
      return disputeId;
    });
    this.logger.log({ disputeId: id, buyerId: buyer.organisationId, reason: body.reason }, 'dispute opened');
    return this.get(identity, id);
  }

  list(identity: Identity, query: ListDisputesQuery): Promise<CursorPage<DisputeDto>> {
    return this.store.list(this.dataSource.manager, viewerOf(identity), query);
  }

  async get(identity: Identity, id: string): Promise<DisputeDto> {
    const viewer = viewerOf(identity);
    const row = await this.store.find(this.dataSource.manager, id, viewer);
    if (!row) throw disputeNotFound();
    return { ...toDisputeDto(row, viewer), transitions: await this.store.transitions(this.dataSource.manager, id, viewer) };
  }

  /**
   * The supplier's answer or an operator's resolution. The same decision made again (a double
   * click, a retry) answers the dispute as it stands; any other decision the dispute's status
   * does not allow is 409 dispute_not_actionable.
   */
  async decide(identity: Identity, id: string, decision: DisputeDecision): Promise<DisputeDto> {
    const viewer = viewerOf(identity);
    const decider: Decider = viewer.kind === 'operator' ? 'operator' : 'supplier';
    const move = decisionMove(decider, decision);
    const sent = await this.dataSource.transaction(async (manager) => {
      const dispute = await this.store.find(manager, id, viewer, true);
      if (!dispute) throw disputeNotFound();
      if (!move.from.includes(dispute.status)) {
        if (isRepeatOf(decider, decision, dispute)) return false;
        throw disputeNotActionable(dispute.status);
      }
      const actor = { type: decider, organisationId: viewer.organisationId, principalId: viewer.principalId };
      // Guarded by the status read under the row lock: a concurrent decision cannot also pass.
      if (!(await this.store.move(manager, id, dispute.status, move.to, actor, { decision, failureCode: null }))) throw disputeNotActionable(dispute.status);
      await this.effectOf(manager, dispute, decider, decision);
      return true;
    });
    if (sent) this.messaging.relay.nudge();
    return this.get(identity, id);
  }

  /** What a decision sets off, in its transaction: a command to the vault or settlement, or the code unfrozen. */
  private async effectOf(manager: EntityManager, dispute: DisputeRow, decider: Decider, decision: DisputeDecision): Promise<void> {
    const { id: disputeId, order_id: orderId, line_id: lineId } = dispute;
    if (decision === 'replace') {
      await this.messaging.outbox.append(manager, ReplacementRequested, {
        aggregateId: disputeId,
        payload: { disputeId, buyerId: dispute.buyer_id, orderId, lineId, offerId: dispute.offer_id, codeId: dispute.code_id },
      });
    } else if (decision === 'refund') {
      // The dispute id names the refund: settlement refunds it once however often it is asked.
      await this.messaging.outbox.append(manager, RefundRequested, {
        aggregateId: orderId,
        payload: { requestId: disputeId, disputeId, orderId, lineId, quantity: 1, reason: decider === 'operator' ? 'operator_decision' : dispute.reason },
      });
    } else if (decider === 'operator') {
      // Rejected for good: the code is the buyer's again, as it was.
      // (Unless an operator's refund of its line took it meanwhile: then it stays out of stock.)
      await manager.query(`UPDATE delivered_code SET frozen_at = NULL WHERE code_id = $1 AND withdrawn_at IS NULL`, [dispute.code_id]);
    }
  }
}
