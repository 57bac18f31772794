import { DISPUTE_DECISIONS, DISPUTE_STATUSES, FINAL_STATUSES, decisionMove, isRepeatOf, type Decider } from './dispute-state';

describe('the dispute state machine', () => {
  it('lets a supplier answer an open dispute, and contest it only while open', () => {
    expect(decisionMove('supplier', 'replace')).toEqual({ from: ['open', 'replacement_failed'], to: 'replacing' });
    expect(decisionMove('supplier', 'refund')).toEqual({ from: ['open', 'replacement_failed'], to: 'refunding' });
    expect(decisionMove('supplier', 'reject')).toEqual({ from: ['open'], to: 'contested' });
  });

  it('lets operators resolve contested disputes, failed replacements and refused refunds; their reject is final', () => {
    expect(decisionMove('operator', 'reject')).toEqual({ from: ['open', 'contested', 'replacement_failed', 'refund_refused'], to: 'rejected' });
  });

  it('never replaces after money moved, never refunds after a code was given, and never leaves a final status', () => {
    for (const decider of ['supplier', 'operator'] as Decider[]) {
      for (const decision of DISPUTE_DECISIONS) {
        const { from } = decisionMove(decider, decision);
        // Not from a final status, nor while a replacement or a refund is in flight (nor after one: final).
        for (const status of [...FINAL_STATUSES, 'replacing', 'refunding'] as const) expect(from).not.toContain(status);
        for (const status of from) expect(DISPUTE_STATUSES).toContain(status);
      }
    }
  });

  it('answers a repeated decision (a double click) as a repeat, and another decision not', () => {
    expect(isRepeatOf('supplier', 'replace', { status: 'replaced', decision: 'replace' })).toBe(true);
    expect(isRepeatOf('supplier', 'refund', { status: 'replaced', decision: 'replace' })).toBe(false);
    expect(isRepeatOf('supplier', 'reject', { status: 'contested', decision: 'reject' })).toBe(true);
    expect(isRepeatOf('operator', 'reject', { status: 'contested', decision: 'reject' })).toBe(false);
  });
});
