import { Transform } from 'class-transformer';
import { IsInt, IsNumber, IsString, Matches, Max, Min } from 'class-validator';
import { IsRedisUrl, ServiceConfig, StrongSecretInProduction, toInt } from '@kami/platform';

/** Environment of the vault service (see the README's table). */
export class VaultConfig extends ServiceConfig {
  /** Delivery calls the vault's reveal: TRUSTED_SERVICE_KEYS holds its public key. */
  static override acceptsServiceCalls = true;

  override PORT = 3102;

  /** Redis of the reservation core (the fast path; PostgreSQL stays the truth). */
  @IsRedisUrl()
  REDIS_URL!: string;

  /** Put before every Redis key of the vault (each key also carries a per-offer hash tag). */
  @IsString()
  @Matches(/^[A-Za-z0-9:._-]*$/, { message: 'REDIS_KEY_PREFIX may hold letters, digits, colons, dots, dashes and underscores only' })
  REDIS_KEY_PREFIX = 'kami:vault:';

  /**
   * Master keys that wrap the batches' data keys: `id:base64key` pairs (32-byte keys), comma
   * separated. Keep retired keys listed until `vault:rotate-keys` has re-wrapped their batches.
   */
  @Matches(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=_-]{43,44})*$/, {
    message: 'VAULT_MASTER_KEYS must be id:base64key pairs (32-byte keys), comma separated',
  })
  @StrongSecretInProduction((value) => value.split(',').map((pair) => pair.slice(pair.indexOf(':') + 1)))
  VAULT_MASTER_KEYS!: string;

  /** The master key new batches are wrapped with (one of VAULT_MASTER_KEYS). */
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'VAULT_MASTER_KEY_ID must name a key of VAULT_MASTER_KEYS' })
  VAULT_MASTER_KEY_ID!: string;

  /** HMAC key of code fingerprints (base64, 32 bytes or more). Never rotated: duplicates are found by it. */
  @Matches(/^[A-Za-z0-9+/=_-]{43,}$/, { message: 'VAULT_FINGERPRINT_KEY must be base64 of at least 32 bytes' })
  @StrongSecretInProduction()
  VAULT_FINGERPRINT_KEY!: string;

  /** How long a reservation holds its codes before they return to available, in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  RESERVATION_TTL_SECONDS = 900;

  /** How often held reservations past their time are expired, in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  RESERVATION_EXPIRY_INTERVAL_MS = 5_000;

  /** How often each offer's Redis state is compared with PostgreSQL (and rebuilt when it drifted), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  STOCK_RECONCILE_INTERVAL_MS = 30_000;

  /** How often changed stock counts are published as events (changes in between are coalesced), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  STOCK_EVENT_INTERVAL_MS = 250;

  /** Width of one point of an offer's stock history (the bucket keeps its last counts), in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  STOCK_HISTORY_RESOLUTION_SECONDS = 300;

  /** How long stock history is kept, in days (each offer's newest point is kept whatever its age). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3_650)
  STOCK_HISTORY_RETENTION_DAYS = 400;

  /** Codes per inline JSON batch. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BATCH_JSON_MAX_CODES = 10_000;

  /** Lines per CSV batch. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BATCH_CSV_MAX_LINES = 1_000_000;

  /**
   * A batch with more than this share of its lines being codes another supplier already holds is
   * held for operator review instead of going on sale (each such line is recorded for operators
   * whatever the share). 0 holds a batch with any such line; 1 never holds one.
   */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsNumber()
  @Min(0)
  @Max(1)
  BATCH_FOREIGN_DUPLICATE_HOLD_SHARE = 0.05;

  /** A receiving batch whose worker has not shown life for this long is recovered (failed and cleaned), in milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  BATCH_STALE_AFTER_MS = 30_000;
}
