import './tracing';
import { runService } from '@kami/platform';
import { DeliveryConfig } from './config/delivery.config';
import { DeliveryModule } from './delivery.module';

void runService({ service: 'delivery', configClass: DeliveryConfig, module: (config) => DeliveryModule.register(config) });
