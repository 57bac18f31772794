import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsUrl, Matches, Max, Min } from 'class-validator';
import { ServiceConfig, StrongSecretInProduction, toBoolean, toInt } from '@kami/platform';

/** Environment of the delivery service (see the README's table). */
export class DeliveryConfig extends ServiceConfig {
  /** Delivery calls the vault's reveal, signing with its own SERVICE_SIGNING_KEY. */
  static override callsOtherServices = true;

  override PORT = 3104;

  /** The vault's internal address: delivery asks it to reveal codes (POST /internal/v1/reveals, service token). */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  VAULT_URL = 'http://127.0.0.1:3102';

  /** How long a reveal call to the vault may take, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(120_000)
  VAULT_TIMEOUT_MS = 15_000;

  /** How long a buyer may report a delivered code invalid, in seconds (as settlement holds escrow). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  DISPUTE_WINDOW_SECONDS = 7 * 86_400;

  /**
   * Encrypts webhook signing secrets at rest (AES-256-GCM): 32 bytes, base64. Always required, and
   * its own key: derived from no other secret (the dev tooling and the test harness generate one).
   */
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'WEBHOOK_SECRET_KEY must be 32 bytes in base64 (44 characters)' })
  @StrongSecretInProduction()
  WEBHOOK_SECRET_KEY!: string;

  /** Lets webhook URLs be http:// and point at loopback/private addresses (development and tests only). */
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** How long one webhook POST may take (connect to last byte of the answer), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** First retry delay of a failed webhook; each retry doubles it (capped, full jitter), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  WEBHOOK_RETRY_BASE_MS = 5_000;

  /** The longest wait between two attempts of one webhook, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400_000)
  WEBHOOK_RETRY_MAX_DELAY_MS = 3_600_000;

  /** After this long since a round's first attempt, a webhook that never got a 2xx is `failed` (replayable), in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  WEBHOOK_RETRY_WINDOW_SECONDS = 86_400;

  /** How often the webhook dispatcher looks for due deliveries, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  WEBHOOK_DISPATCH_INTERVAL_MS = 1_000;

  /**
   * An auto-restock order still unanswered or undelivered after this long (seconds) no longer
   * blocks the next one: a lost answer or an order that failed never leaves a rule stuck.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 86_400)
  RESTOCK_REQUEST_TIMEOUT_SECONDS = 3_600;

  /**
   * After an auto-restock request that came to nothing (refused, or its order cancelled), the next
   * waits this long (seconds), doubling with each one in a row up to RESTOCK_RETRY_MAX_SECONDS.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  RESTOCK_RETRY_BASE_SECONDS = 60;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  RESTOCK_RETRY_MAX_SECONDS = 3_600;
}
