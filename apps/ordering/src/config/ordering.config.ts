import { ServiceConfig } from '@kami/platform';

/** Environment of the ordering service (see the README's table). */
export class OrderingConfig extends ServiceConfig {
  override PORT = 3103;
}
