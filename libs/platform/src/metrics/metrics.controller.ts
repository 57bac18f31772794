import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../auth/access';
import { metricsRegistry } from './metrics';

/** Prometheus scrape endpoint. */
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  async scrape(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
