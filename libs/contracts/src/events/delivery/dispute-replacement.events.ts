import { IsUUID, Matches } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { CODE_ID_PATTERN } from '../vault/allocation.events';

/** Whose code of which order line and offer a replacement is about: in the request and in the vault's answer. */
export class ReplacementLinePayload {
  @IsUUID()
  disputeId!: string;

  @IsUUID()
  buyerId!: string;

  @IsUUID()
  orderId!: string;

  @IsUUID()
  lineId!: string;

  @IsUUID()
  offerId!: string;
}

/**
 * A dispute was answered with a replacement: the vault sells the buyer one available code of the
 * disputed code's offer, at no charge, all or nothing, once per dispute however often this is
 * sent (the dispute id is the reservation id), and answers on vault.replacement.v1 with
 * `vault.replacement.allocated` or `vault.replacement.failed` (keyed by the dispute id).
 * On a topic of its own: consumers of delivery.dispute.v1 (settlement) would dead-letter it.
 */
export class ReplacementRequestedPayload extends ReplacementLinePayload {
  /** The disputed code: the vault checks it was sold to this buyer from this offer. */
  @Matches(CODE_ID_PATTERN)
  codeId!: string;
}

export const ReplacementRequested = defineEvent('delivery.replacement.requested', Topics.DeliveryReplacement, ReplacementRequestedPayload);
