import { IsBoolean, IsInt, IsUUID, Length, Matches, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/**
 * A merchant wallet's balance after a movement. Ordering keeps the newest per organisation and
 * currency (by `sequence`) to refuse an order it can already see is unaffordable (402); the
 * ledger in settlement stays the truth, and a payment can still fail afterwards.
 */
export class WalletChangedPayload {
  @IsUUID()
  organisationId!: string;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  /** Minor units (fen); what the merchant can spend now. */
  @IsInt()
  @Min(0)
  balance!: number;

  /** Grows with every movement of this wallet: a consumer ignores an older one. */
  @IsInt()
  @Min(1)
  sequence!: number;
}

/**
 * A supplier's deposit (保证金) against the platform's minimum, after the deposit moved, the supplier
 * registered or the minimum changed. The catalog keeps a supplier's offers active only while the
 * newest status (by `sequence`) says `covered`.
 */
export class DepositStatusChangedPayload {
  @IsUUID()
  supplierId!: string;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @IsInt()
  @Min(0)
  balance!: number;

  /** The platform's minimum when this status was published, in minor units (0: none). */
  @IsInt()
  @Min(0)
  minimum!: number;

  /** The balance covers the minimum (always true when there is none). */
  @IsBoolean()
  covered!: boolean;

  /** Grows with every status published for this supplier: a consumer ignores an older one. */
  @IsInt()
  @Min(1)
  sequence!: number;
}

export const WalletChanged = defineEvent('settlement.wallet.changed', Topics.SettlementWallet, WalletChangedPayload);
export const DepositStatusChanged = defineEvent('settlement.deposit.status_changed', Topics.SettlementDeposit, DepositStatusChangedPayload);
