import { ServiceConfig } from '@kami/platform';

/** Environment of the settlement service (see the README's table). */
export class SettlementConfig extends ServiceConfig {
  override PORT = 3105;
}
