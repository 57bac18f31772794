import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { ServiceConfig, toBoolean, toInt } from '@kami/platform';
import { DEFAULT_SUPPLIER_DEPOSIT_MINIMUM } from '../deposits/deposit-status';

/** Environment of the settlement service (see the README's table). */
export class SettlementConfig extends ServiceConfig {
  override PORT = 3105;

  /** How long escrow is held after the codes are sold before it is released to the suppliers, in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  DISPUTE_WINDOW_SECONDS = 7 * 86_400;

  /** How often escrow past its dispute window is released, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  ESCROW_RELEASE_INTERVAL_MS = 10_000;

  /** Platform commission on a supplier's sales, in basis points (500 = 5%), where neither the supplier nor the category has a rate of its own (operators set those: /api/v1/settlement/commission-rates). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  COMMISSION_RATE_BPS = 500;

  /**
   * The deposit (保证金, in CNY fen) a supplier must hold for its offers to stay active; 0: none.
   * Changing it re-publishes every supplier's deposit status at the next start.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  SUPPLIER_DEPOSIT_MINIMUM = DEFAULT_SUPPLIER_DEPOSIT_MINIMUM;

  /** The payment provider behind the wallet top-ups (Alipay and WeChat Pay adapters are future work behind the same port). */
  @IsIn(['sandbox'])
  PAYMENT_PROVIDER = 'sandbox' as const;

  /**
   * The sandbox provider's signing key (HMAC-SHA256 of its notifications). Required in
   * production; elsewhere a random key is made at start when it is not set.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'SANDBOX_PROVIDER_KEY must be at least 32 characters' })
  SANDBOX_PROVIDER_KEY?: string;

  /** How long a top-up's payment intent stays payable, in seconds (the provider's `time_expire`); unpaid by then it expires. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_296_000)
  TOPUP_EXPIRY_SECONDS = 1_800;

  /** How often top-ups past their expiry are closed (asking the provider first whether they were paid), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  TOPUP_EXPIRY_SWEEP_INTERVAL_MS = 10_000;

  /** The sandbox's channels and their single-payment limit in fen (0: no limit): `name:limit[,name:limit…]`. */
  @Matches(/^[a-z][a-z0-9_]{0,31}:\d{1,15}(,[a-z][a-z0-9_]{0,31}:\d{1,15})*$/, { message: 'SANDBOX_CHANNELS must be name:limit pairs (limit in fen, 0 for none), comma separated' })
  SANDBOX_CHANNELS = 'standard:0,restricted:30000';

  /** Where the sandbox delivers its notifications; by default this service's own notification route. */
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'SANDBOX_NOTIFY_URL must be an http(s) URL' })
  SANDBOX_NOTIFY_URL?: string;

  /** The sandbox sends each notification twice, as real providers sometimes do. */
  @Transform(toBoolean)
  @IsBoolean()
  SANDBOX_DUPLICATE_NOTIFICATIONS = true;
}
