import { runService } from '@kami/platform';
import { CatalogConfig } from './config/catalog.config';
import { CatalogModule } from './catalog.module';

void runService({ service: 'catalog', configClass: CatalogConfig, module: (config) => CatalogModule.register(config) });
