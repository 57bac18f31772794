import { IsIn, IsUUID, Matches } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { ReplacementLinePayload } from '../delivery/dispute-replacement.events';
import { CODE_ID_PATTERN } from './allocation.events';

/** The disputed code was replaced: `codeId` (an id, never the code) is sold to the buyer on the same order line. */
export class ReplacementAllocatedPayload extends ReplacementLinePayload {
  @Matches(CODE_ID_PATTERN)
  originalCodeId!: string;

  @Matches(CODE_ID_PATTERN)
  codeId!: string;
}

export const REPLACEMENT_FAILURES = ['out_of_stock', 'code_not_sold_to_buyer'] as const;
export type ReplacementFailure = (typeof REPLACEMENT_FAILURES)[number];

/** Nothing was sold for the dispute (no code of the offer is available, or the request named a code not the buyer's). */
export class ReplacementFailedPayload {
  @IsUUID()
  disputeId!: string;

  @IsUUID()
  orderId!: string;

  @IsUUID()
  lineId!: string;

  @IsIn(REPLACEMENT_FAILURES)
  reason!: ReplacementFailure;
}

export const ReplacementAllocated = defineEvent('vault.replacement.allocated', Topics.VaultReplacement, ReplacementAllocatedPayload);
export const ReplacementFailed = defineEvent('vault.replacement.failed', Topics.VaultReplacement, ReplacementFailedPayload);
