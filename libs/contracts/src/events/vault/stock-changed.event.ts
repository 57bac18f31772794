import { IsInt, IsUUID, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/**
 * An offer's code counts after a change in the vault (upload, reservation, sale, void). Counts are
 * absolute, and `sequence` grows with every change of the offer, so a consumer keeps the newest
 * and a replayed or reordered event changes nothing.
 */
export class StockChangedPayload {
  @IsUUID()
  offerId!: string;

  @IsUUID()
  supplierId!: string;

  @IsInt()
  @Min(1)
  sequence!: number;

  @IsInt()
  @Min(0)
  available!: number;

  @IsInt()
  @Min(0)
  reserved!: number;

  @IsInt()
  @Min(0)
  sold!: number;

  @IsInt()
  @Min(0)
  voided!: number;
}

export const StockChanged = defineEvent('vault.stock.changed', Topics.VaultStock, StockChangedPayload);
