import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RefundRefused, RefundRequested, type EventEnvelope, type RefundRequestedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { RefundRefusedError, refundRequestConflict } from './refund.errors';
import { RefundsService } from './refunds.service';

/**
 * Disputes' refund requests (`delivery.dispute.refund_requested`), applied in the inbox's
 * transaction (a redelivered event counts once; the request id makes the refund count once even
 * when it is sent again in another event). The answer goes back on settlement.refund.v1:
 * `completed`, or `refused` with the same stable code the HTTP API answers, nothing else written.
 */
@Injectable()
export class RefundRequestsConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly refunds: RefundsService,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('refund-requests', [
      { events: [RefundRequested], handler: (e, { manager }) => this.requested(manager, (e as EventEnvelope<RefundRequestedPayload>).payload) },
    ]);
  }

  private async requested(manager: Parameters<RefundsService['refund']>[0], request: RefundRequestedPayload): Promise<void> {
    let refusal: RefundRefusedError | undefined;
    try {
      const { sameRequest } = await this.refunds.refund(manager, {
        requestRef: `dispute:${request.requestId}`,
        requestId: request.requestId,
        ...(request.disputeId ? { disputeId: request.disputeId } : {}),
        orderId: request.orderId.toLowerCase(),
        lineId: request.lineId.toLowerCase(),
        quantity: request.quantity,
        reason: request.reason,
      });
      if (!sameRequest) refusal = refundRequestConflict();
    } catch (error) {
      if (!(error instanceof RefundRefusedError)) throw error;
      refusal = error;
    }
    if (!refusal) return;
    await this.messaging.outbox.append(manager, RefundRefused, {
      aggregateId: request.orderId,
      payload: { requestId: request.requestId, orderId: request.orderId, lineId: request.lineId, quantity: request.quantity, code: refusal.code, detail: refusal.detail },
    });
  }
}
