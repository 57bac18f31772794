import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { ServiceConfig, toBoolean, toInt } from '@kami/platform';

/** Environment of the catalog service (see the README's table). */
export class CatalogConfig extends ServiceConfig {
  override PORT = 3101;

  /** How often lapsed brand authorisations are expired (and their offers paused), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  AUTHORISATION_EXPIRY_INTERVAL_MS = 60_000;

  /**
   * Offers may be active only while their supplier's deposit (保证金) covers settlement's minimum
   * (from `settlement.deposit.v1`). False: no deposit gate, for a deployment without settlement.
   */
  @Transform(toBoolean)
  @IsBoolean()
  SUPPLIER_DEPOSIT_REQUIRED = true;
}
