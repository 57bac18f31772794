import { DomainError } from '@kami/platform';
import type { EntityManager } from 'typeorm';

/*
 * Codes the buyer gave back (delivered_code.withdrawn_*): refunded (a dispute's refund or an
 * operator's refund of the line) or replaced (a dispute's replacement took the code's place).
 * The buyer's money or the replacement stands for such a code, so it is never revealed to the
 * buyer again: every read of the ledger leaves it out or answers 410 with why.
 */

export type WithdrawnReason = 'refunded' | 'replaced';

/** SQL on the delivered_code alias `c`: a code its buyer still holds. */
export const HELD = 'c.withdrawn_at IS NULL';

export const WithdrawnErrorCode = {
  CodeRefunded: 'code_refunded',
  CodeReplaced: 'code_replaced',
} as const;

export const codeRefunded = (): DomainError =>
  new DomainError(WithdrawnErrorCode.CodeRefunded, 410, 'This code was refunded to you, so it is no longer yours to read (GET /api/v1/disputes and the order\u2019s refunds say when).');

export const codeReplaced = (): DomainError =>
  new DomainError(WithdrawnErrorCode.CodeReplaced, 410, 'This code was replaced: read its replacement where you read it (the order\u2019s codes, or pull it from your stock).');

export const withdrawnError = (reason: WithdrawnReason): DomainError => (reason === 'refunded' ? codeRefunded() : codeReplaced());

/**
 * Takes codes away from their buyer (for good: frozen too, so purchased stock never hands them
 * out), naming the dispute or refund that did it. Codes already withdrawn keep their first reason.
 */
export async function withdrawCodes(manager: EntityManager, codeIds: string[], reason: WithdrawnReason, ref: string): Promise<void> {
  if (codeIds.length === 0) return;
  await manager.query(
    `UPDATE delivered_code SET withdrawn_at = now(), withdrawn_reason = $2, withdrawn_ref = $3, frozen_at = coalesce(frozen_at, now())
      WHERE code_id = ANY($1::bigint[]) AND withdrawn_at IS NULL`,
    [codeIds, reason, ref],
  );
}

/**
 * An operator's refund of `quantity` codes of an order line (settlement names no codes): the
 * line's codes the buyer still holds go, those it never saw first (unpulled stock, unread
 * codes), then the last delivered. Once per refund, however often its event arrives.
 */
export async function withdrawRefundedFromLine(manager: EntityManager, lineId: string, quantity: number, refundId: string): Promise<string[]> {
  const earlier: unknown[] = await manager.query(`SELECT 1 FROM delivered_code WHERE withdrawn_ref = $1 LIMIT 1`, [refundId]);
  if (earlier.length > 0) return [];
  const rows: { code_id: string }[] = await manager.query(
    `SELECT c.code_id::text FROM delivered_code c WHERE c.line_id = $1 AND ${HELD}
      ORDER BY c.first_revealed_at IS NOT NULL, c.position DESC LIMIT $2 FOR UPDATE`,
    [lineId, quantity],
  );
  const codeIds = rows.map((r) => r.code_id);
  await withdrawCodes(manager, codeIds, 'refunded', refundId);
  return codeIds;
}
