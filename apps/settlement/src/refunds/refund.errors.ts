import type { RefundRefusal } from '@kami/contracts';
import { SettlementError } from '../settlement.errors';

/** A refund refused before anything moved; its code is also the `code` of `settlement.refund.refused`. */
export class RefundRefusedError extends SettlementError {
  declare readonly code: RefundRefusal;
}

export const orderLineNotFound = (): RefundRefusedError => new RefundRefusedError('order_line_not_found', 404, 'No such line of a paid order.');
export const lineNotRefundable = (lineStatus: string): RefundRefusedError =>
  new RefundRefusedError('line_not_refundable', 409, 'The line has no codes sold yet; only sold codes are refunded.', { lineStatus });
export const refundExceedsLine = (quantity: number, refundedQuantity: number, refundable: number): RefundRefusedError =>
  new RefundRefusedError('refund_exceeds_line', 409, `At most ${refundable} more code(s) of this line can be refunded.`, { quantity, refundedQuantity, refundable });
export const refundNotCovered = (supplierShare: number, available: number): RefundRefusedError =>
  new RefundRefusedError('refund_not_covered', 409, "The supplier's payable and deposit cannot cover its share of this refund.", { supplierShare, available });
export const refundRequestConflict = (): RefundRefusedError =>
  new RefundRefusedError('refund_request_conflict', 409, 'This request id was already used for a different refund.');
