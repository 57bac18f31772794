import { Transform } from 'class-transformer';
import { IsInt, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { IsRedisUrl, ServiceConfig, StrongSecretInProduction, toInt } from '@kami/platform';
import { defaultPortalDir } from '../portal/portal-static';

const serviceUrl = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Environment of the gateway (see the README's table). */
export class GatewayConfig extends ServiceConfig {
  override PORT = 3000;

  /** Redis for rate limiting. */
  @IsRedisUrl()
  REDIS_URL!: string;

  /** Prefix of the gateway's Redis keys (rate-limit counters). */
  @IsString()
  REDIS_KEY_PREFIX = 'kami:gateway:';

  /** Signs portal session tokens (HS256). */
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  @StrongSecretInProduction()
  JWT_SECRET!: string;

  /** Lifetime of a portal session token, in seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(86_400)
  JWT_TTL_SECONDS = 900;

  /**
   * The longest a portal session lives from its login, refreshes included (seconds): the portal
   * refreshes its token while the user is active, and after this long asks for the password again.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  SESSION_MAX_AGE_SECONDS = 43_200;

  /** Requests one client IP may make per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_IP = 600;

  /** Requests one API key may make per window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_API_KEY = 1200;

  /** Login attempts one client IP may make per window (slows password guessing). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_LOGIN_PER_IP = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @IsUrl(serviceUrl)
  CATALOG_URL = 'http://127.0.0.1:3101';

  @IsUrl(serviceUrl)
  VAULT_URL = 'http://127.0.0.1:3102';

  @IsUrl(serviceUrl)
  ORDERING_URL = 'http://127.0.0.1:3103';

  @IsUrl(serviceUrl)
  DELIVERY_URL = 'http://127.0.0.1:3104';

  @IsUrl(serviceUrl)
  SETTLEMENT_URL = 'http://127.0.0.1:3105';

  /** The built portal (Vite's output), served at `/`; when it is missing, pages answer 503 and the API works on. */
  @IsString()
  @MinLength(1)
  PORTAL_DIR = defaultPortalDir();
}
