import { ServiceConfig } from '@kami/platform';

/** Environment of the delivery service (see the README's table). */
export class DeliveryConfig extends ServiceConfig {
  override PORT = 3104;
}
