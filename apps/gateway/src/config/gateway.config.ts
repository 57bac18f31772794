import net from 'node:net';
import { Transform } from 'class-transformer';
import { IsInt, IsString, IsUrl, Max, Min, MinLength, ValidateBy } from 'class-validator';
import { isPrivateKey, IsRedisUrl, RefusedInProduction, ServiceConfig, StrongSecretInProduction, toInt } from '@kami/platform';
import { defaultPortalDir } from '../portal/portal-static';

const serviceUrl = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** Express's (proxy-addr's) names for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** One entry of TRUSTED_PROXIES: a range name, an address, or address/prefix-length (or IPv4 address/netmask). */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && net.isIPv4(range);
}

/**
 * The peers whose X-Forwarded-For the gateway believes, as Express's `trust proxy` takes them:
 * `none` trusts nobody (the gateway faces clients directly).
 */
export function trustedProxies(config: Pick<GatewayConfig, 'TRUSTED_PROXIES'>): string[] | false {
  const entries = config.TRUSTED_PROXIES.split(',').map((e) => e.trim());
  return entries.length === 1 && entries[0] === 'none' ? false : entries;
}

/** Environment of the gateway (see the README's table). */
export class GatewayConfig extends ServiceConfig {
  /** The gateway signs forwarded identities (GATEWAY_IDENTITY_PRIVATE_KEY); it verifies none. */
  static override verifiesForwardedIdentity = false;

  override PORT = 3000;

  /**
   * The gateway's Ed25519 private key (base64url PKCS8 DER, or PEM): it signs the identity it
   * forwards to each service with it. Only the gateway holds it; the services hold the public key
   * (GATEWAY_IDENTITY_PUBLIC_KEY).
   */
  @ValidateBy({
    name: 'isEd25519PrivateKey',
    validator: { validate: (value: unknown) => typeof value === 'string' && isPrivateKey(value), defaultMessage: () => 'GATEWAY_IDENTITY_PRIVATE_KEY must be an Ed25519 private key (base64url PKCS8 DER or PEM)' },
  })
  @StrongSecretInProduction()
  GATEWAY_IDENTITY_PRIVATE_KEY!: string;

  /**
   * log2 of scrypt's N for new password hashes (r=8, p=1): 17 is OWASP's minimum and production's
   * floor. Older hashes still verify and are rewritten at the next login. Tests run at 15.
   */
  @Transform(toInt)
  @IsInt()
  @Min(14)
  @Max(20)
  @RefusedInProduction((value) => typeof value === 'number' && value < 17, 'is below OWASP’s minimum for scrypt (17, N=2^17); refused in production')
  PASSWORD_HASH_COST = 17;

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

  /**
   * Peers whose X-Forwarded-For names the client (comma-separated addresses, CIDRs such as
   * `10.0.0.0/8`, or `loopback`, `linklocal`, `uniquelocal`; `none` for no proxy): the Ingress or
   * load balancer in front of the gateway. Rate limits count per client address this gives.
   */
  @ValidateBy({
    name: 'isTrustedProxies',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && (value.trim() === 'none' || value.split(',').every((entry) => isProxyEntry(entry.trim()))),
      defaultMessage: () =>
        'TRUSTED_PROXIES must be `none` or a comma-separated list of addresses, CIDRs (10.0.0.0/8) and loopback, linklocal or uniquelocal',
    },
  })
  TRUSTED_PROXIES = 'loopback';

  /**
   * How long a gateway keeps a verified API key in memory (seconds; 0: read it from the database on
   * every request). A revocation reaches every gateway at once over Redis; this is the bound for a
   * gateway that missed that message.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60)
  API_KEY_CACHE_SECONDS = 5;

  /** Requests one client IP (an IPv6 client: its /64) may make per window. */
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

  /**
   * Failed logins one account (the email, or the user it names) may have within
   * RATE_LIMIT_LOGIN_ACCOUNT_WINDOW_SECONDS before every further attempt waits: first
   * RATE_LIMIT_LOGIN_DELAY_SECONDS, doubling after each attempt up to RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS.
   * Attempts during a wait are answered 429 without looking at the password; a successful login
   * forgets the failures.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  RATE_LIMIT_LOGIN_DELAY_SECONDS = 1;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS = 900;

  /** How long an account's failed logins are remembered, from the first (seconds). */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 86_400)
  RATE_LIMIT_LOGIN_ACCOUNT_WINDOW_SECONDS = 3600;

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
