import { runService, SERVICE_CONFIG } from '@kami/platform';
import { setupApiDocs } from './api-docs/api-docs.setup';
import { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';
import { portalMiddleware } from './portal/portal-static';

void runService({
  service: 'gateway',
  configClass: GatewayConfig,
  module: (config) => GatewayModule.register(config),
  // Only the gateway's own routes parse JSON (JsonBodyMiddleware); proxied bodies stream through.
  bodyParser: false,
  // The gateway publishes the merged document itself (/api/docs), not an internal one.
  internalOpenApi: false,
  configure: (app) => {
    // Before Nest's own middleware: the portal's files skip the API's rate limits and routing.
    app.use(portalMiddleware(app.get<GatewayConfig>(SERVICE_CONFIG).PORTAL_DIR));
    setupApiDocs(app);
  },
});
