import './tracing';
import { runService } from '@kami/platform';
import { CatalogConfig } from './config/catalog.config';
import { CatalogModule } from './catalog.module';

// Brand authorisation proofs travel base64-encoded in JSON (up to 5 MiB decoded).
void runService({ service: 'catalog', configClass: CatalogConfig, module: (config) => CatalogModule.register(config), jsonLimit: '8mb' });
