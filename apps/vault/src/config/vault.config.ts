import { IsRedisUrl, ServiceConfig } from '@kami/platform';

/** Environment of the vault service (see the README's table). */
export class VaultConfig extends ServiceConfig {
  override PORT = 3102;

  /** Redis of the reservation core. */
  @IsRedisUrl()
  REDIS_URL!: string;
}
