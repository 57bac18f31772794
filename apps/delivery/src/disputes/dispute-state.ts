/**
 * A dispute's state machine. The buyer opens it (`open`, the code frozen); the supplier answers
 * with a replacement from its stock, a refund, or contests it; operators decide what suppliers
 * cannot (contested disputes, failed replacements, refused refunds). Replacing and refunding are
 * exclusive: a dispute enters `replacing` only from a state where no money moved, and `refunding`
 * only from one where no code was given, so a supplier is never charged twice for one code.
 *
 *   open ─replace→ replacing ─vault→ replaced | replacement_failed
 *   open ─refund→  refunding ─settlement→ refunded | refund_refused
 *   open ─reject (supplier)→ contested ─resolve (operator)→ replacing | refunding | rejected
 */
export const DISPUTE_STATUSES = ['open', 'contested', 'replacing', 'replaced', 'replacement_failed', 'refunding', 'refunded', 'refund_refused', 'rejected'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** Ended for good: the code was replaced, refunded, or the dispute rejected. */
export const FINAL_STATUSES: readonly DisputeStatus[] = ['replaced', 'refunded', 'rejected'];

export const DISPUTE_DECISIONS = ['replace', 'refund', 'reject'] as const;
export type DisputeDecision = (typeof DISPUTE_DECISIONS)[number];

export type Decider = 'supplier' | 'operator';

export interface Move {
  from: readonly DisputeStatus[];
  to: DisputeStatus;
}

const SUPPLIER_MAY_ANSWER: readonly DisputeStatus[] = ['open', 'replacement_failed'];
const OPERATOR_MAY_RESOLVE: readonly DisputeStatus[] = ['open', 'contested', 'replacement_failed', 'refund_refused'];

/** Where a decision takes a dispute, and from which statuses the decider may take it. */
export function decisionMove(decider: Decider, decision: DisputeDecision): Move {
  const from = decider === 'supplier' ? (decision === 'reject' ? ['open' as const] : SUPPLIER_MAY_ANSWER) : OPERATOR_MAY_RESOLVE;
  const to: DisputeStatus = decision === 'replace' ? 'replacing' : decision === 'refund' ? 'refunding' : decider === 'supplier' ? 'contested' : 'rejected';
  return { from, to };
}

/** What a decision may have led to since: the same decision made again (a double click) then answers the dispute as it is. */
export function isRepeatOf(decider: Decider, decision: DisputeDecision, current: { status: DisputeStatus; decision: DisputeDecision | null }): boolean {
  if (current.decision !== decision) return false;
  const after: Record<DisputeDecision, readonly DisputeStatus[]> = {
    replace: ['replacing', 'replaced', 'replacement_failed'],
    refund: ['refunding', 'refunded', 'refund_refused'],
    reject: decider === 'supplier' ? ['contested'] : ['rejected'],
  };
  return after[decision].includes(current.status);
}

/** The answers of the vault and settlement: each moves a dispute only out of the status waiting for it. */
export const OUTCOME_MOVES = {
  replaced: { from: ['replacing'], to: 'replaced' },
  replacementFailed: { from: ['replacing'], to: 'replacement_failed' },
  refunded: { from: ['refunding'], to: 'refunded' },
  refundRefused: { from: ['refunding'], to: 'refund_refused' },
} as const satisfies Record<string, Move>;
