import { IsInt, IsUUID, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

/**
 * An offer's available stock fell to or below its low-stock threshold. Sent once per crossing:
 * the alarm re-arms only after stock rises above the threshold again.
 */
export class StockLowPayload {
  @IsUUID()
  offerId!: string;

  @IsUUID()
  supplierId!: string;

  @IsInt()
  @Min(0)
  available!: number;

  @IsInt()
  @Min(0)
  threshold!: number;
}

export const StockLow = defineEvent('vault.stock.low', Topics.VaultStock, StockLowPayload);
