import './tracing';
import { runService, SERVICE_CONFIG } from '@kami/platform';
import { setupApiDocs } from './api-docs/api-docs.setup';
import { GatewayConfig, trustedProxies } from './config/gateway.config';
import { GatewayModule } from './gateway.module';
import { portalMiddleware } from './portal/portal-static';
import { securityHeaders } from './security/security-headers';

void runService({
  service: 'gateway',
  configClass: GatewayConfig,
  module: (config) => GatewayModule.register(config),
  // Only the gateway's own routes parse JSON (JsonBodyMiddleware); proxied bodies stream through.
  bodyParser: false,
  // The gateway publishes the merged document itself (/api/docs), not an internal one.
  internalOpenApi: false,
  configure: (app) => {
    const config = app.get<GatewayConfig>(SERVICE_CONFIG);
    // req.ip is the client the trusted proxies (TRUSTED_PROXIES) name, or the peer itself.
    app.set('trust proxy', trustedProxies(config));
    // First of all: CSP, no framing, nosniff, no referrer, HSTS over https, on every answer.
    app.use(securityHeaders());
    // Before Nest's own middleware: the portal's files skip the API's rate limits and routing.
    app.use(portalMiddleware(config.PORTAL_DIR));
    setupApiDocs(app);
  },
});
