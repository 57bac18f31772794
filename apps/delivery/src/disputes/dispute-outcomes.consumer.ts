import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  RefundCompleted,
  RefundRefused,
  ReplacementAllocated,
  ReplacementFailed,
  type EventEnvelope,
  type RefundCompletedPayload,
  type RefundRefusedPayload,
  type ReplacementAllocatedPayload,
  type ReplacementFailedPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { DisputeOutcomes } from './dispute-outcomes';

/** The vault's replacements (vault.replacement.v1) and settlement's refunds (settlement.refund.v1) answering disputes. */
@Injectable()
export class DisputeOutcomesConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly outcomes: DisputeOutcomes,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('dispute-outcomes', [
      { events: [ReplacementAllocated], handler: (e, { manager }) => this.outcomes.replaced(manager, e.id, (e as EventEnvelope<ReplacementAllocatedPayload>).payload) },
      { events: [ReplacementFailed], handler: (e, { manager }) => this.outcomes.replacementFailed(manager, e.id, (e as EventEnvelope<ReplacementFailedPayload>).payload) },
      { events: [RefundCompleted], handler: (e, { manager }) => this.outcomes.refunded(manager, e.id, (e as EventEnvelope<RefundCompletedPayload>).payload) },
      { events: [RefundRefused], handler: (e, { manager }) => this.outcomes.refundRefused(manager, e.id, (e as EventEnvelope<RefundRefusedPayload>).payload) },
    ]);
  }
}
