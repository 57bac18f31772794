import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { ServiceConfig, toInt } from '@kami/platform';

/** Environment of the ordering service (see the README's table). */
export class OrderingConfig extends ServiceConfig {
  override PORT = 3103;

  /** An order still placed or reserved (not paid) this long after it was placed is cancelled with payment_timeout, in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  ORDER_PAYMENT_TIMEOUT_SECONDS = 1_800;

  /** How often orders past their payment timeout are looked for, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  ORDER_TIMEOUT_SWEEP_INTERVAL_MS = 5_000;
}
