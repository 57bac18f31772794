import { SettlementError } from '../settlement.errors';

/** The top-up's payment intent expired unpaid (the provider closed it): nothing can be paid on it; start a new top-up. */
export const topupExpired = (expiresAt: string): SettlementError =>
  new SettlementError('topup_expired', 409, 'The top-up expired unpaid; start a new one.', { expiresAt });
