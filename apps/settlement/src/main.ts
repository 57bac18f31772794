import './tracing';
import { runService } from '@kami/platform';
import { SettlementConfig } from './config/settlement.config';
import { SettlementModule } from './settlement.module';

void runService({ service: 'settlement', configClass: SettlementConfig, module: (config) => SettlementModule.register(config) });
