import './tracing';
import { runService } from '@kami/platform';
import { VaultConfig } from './config/vault.config';
import { VaultModule } from './vault.module';

// Inline JSON batches carry up to 10,000 codes (with PINs, serials and URLs); CSV uploads stream and are never parsed as JSON.
void runService({ service: 'vault', configClass: VaultConfig, module: (config) => VaultModule.register(config), jsonLimit: '4mb' });
