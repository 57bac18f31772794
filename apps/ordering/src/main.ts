import './tracing';
import { runService } from '@kami/platform';
import { OrderingConfig } from './config/ordering.config';
import { OrderingModule } from './ordering.module';

void runService({ service: 'ordering', configClass: OrderingConfig, module: (config) => OrderingModule.register(config) });
