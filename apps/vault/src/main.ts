import { runService } from '@kami/platform';
import { VaultConfig } from './config/vault.config';
import { VaultModule } from './vault.module';

void runService({ service: 'vault', configClass: VaultConfig, module: (config) => VaultModule.register(config) });
