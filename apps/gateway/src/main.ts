import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { runService } from '@kami/platform';
import { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';

void runService({
  service: 'gateway',
  configClass: GatewayConfig,
  module: (config) => GatewayModule.register(config),
  // Only the gateway's own routes parse JSON (JsonBodyMiddleware); proxied bodies stream through.
  bodyParser: false,
  configure: (app) => {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Kami API')
        .setDescription('Wholesale marketplace for redemption codes. Errors are application/problem+json with a stable `code`.')
        .setVersion('1')
        .addBearerAuth()
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
        .build(),
    );
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
  },
});
