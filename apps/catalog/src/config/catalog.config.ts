import { ServiceConfig } from '@kami/platform';

/** Environment of the catalog service (see the README's table). */
export class CatalogConfig extends ServiceConfig {
  override PORT = 3101;
}
