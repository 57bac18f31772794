import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiDocsService } from './api-docs.service';

/** Swagger UI; the JSON document is at `DOCS_PATH/openapi.json` (and Swagger's YAML copy at `/api/docs-yaml`). */
export const DOCS_PATH = 'api/docs';

/**
 * Serves the public API document at `/api/docs/openapi.json` and Swagger UI at `/api/docs`.
 * The gateway's own routes are scanned once at boot; on each request `patchDocumentOnRequest`
 * merges in the services' routes (ApiDocsService: fetched lazily, cached briefly), for the JSON
 * and for the document Swagger UI embeds alike.
 */
export function setupApiDocs(app: INestApplication): void {
  const own = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Kami API')
      .setDescription('Wholesale marketplace for redemption codes. Errors are application/problem+json with a stable `code`.')
      .setVersion('1')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
      .build(),
  );
  const docs = app.get(ApiDocsService);
  SwaggerModule.setup(DOCS_PATH, app, own, {
    jsonDocumentUrl: `${DOCS_PATH}/openapi.json`,
    patchDocumentOnRequest: (_req, _res, document) => docs.publicDocument(document),
  });
}
