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

/** A supplier's deposit (保证金) against the platform's minimum: the catalog keeps offers active only while it is sufficient. */
export class DepositStatusChangedPayload {
  @IsUUID()
  supplierId!: string;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @IsInt()
  @Min(0)
  balance!: number;

  @IsInt()
  @Min(0)
  minimum!: number;

  @IsBoolean()
  sufficient!: boolean;

  @IsInt()
  @Min(1)
  sequence!: number;
}

export const WalletChanged = defineEvent('settlement.wallet.changed', Topics.SettlementWallet, WalletChangedPayload);
export const DepositStatusChanged = defineEvent('settlement.deposit.status_changed', Topics.SettlementDeposit, DepositStatusChangedPayload);
