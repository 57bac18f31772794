import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { RefusedInProduction, ServiceConfig, toBoolean, toInt } from '@kami/platform';
import { DEFAULT_SUPPLIER_DEPOSIT_MINIMUM } from '../deposits/deposit-status';
import { CHANNELS_PATTERN } from '../payments/sandbox-channels';

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

  /**
   * The payment provider behind wallet and deposit top-ups. `none` (the default): top-ups answer
   * 503 `payment_provider_unavailable`. `sandbox` turns on the sandbox provider, which credits a
   * top-up when its payer presses a button and moves no money: for development and tests only,
   * refused when NODE_ENV=production. (Alipay and WeChat Pay adapters come behind the same port.)
   */
  @IsIn(['none', 'sandbox'])
  @RefusedInProduction((value) => value === 'sandbox', 'the sandbox provider credits top-ups without any money; it is refused in production')
  PAYMENT_PROVIDER: 'none' | 'sandbox' = 'none';

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

  /**
   * The sandbox's channels and their single-payment limit in fen: `name[:limit][,name[:limit]…]`.
   * A channel named without a limit gets DEFAULT_CHANNEL_LIMIT (¥50,000): no channel is unlimited.
   */
  @Matches(CHANNELS_PATTERN, { message: 'SANDBOX_CHANNELS must be channel names, each with an optional limit in fen of at least 1 (name:limit), comma separated' })
  SANDBOX_CHANNELS = 'standard:5000000,restricted:30000';

  /** Where the sandbox delivers its notifications; by default this service's own notification route. */
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'SANDBOX_NOTIFY_URL must be an http(s) URL' })
  SANDBOX_NOTIFY_URL?: string;

  /** The sandbox sends each notification twice, as real providers sometimes do. */
  @Transform(toBoolean)
  @IsBoolean()
  SANDBOX_DUPLICATE_NOTIFICATIONS = true;
}
