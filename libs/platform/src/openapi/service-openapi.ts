import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { ApiExcludeController, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { Public } from '../auth/access';

/**
 * Where every service serves its own OpenAPI document. Internal: the gateway fetches it from the
 * service's port and merges the service's public routes into `/api/docs`; it never routes
 * `/internal/...` to a service, so clients cannot reach it through the gateway.
 */
export const INTERNAL_OPENAPI_PATH = '/internal/openapi.json';

/** The OpenAPI document of a service's own routes, generated from its @nestjs/swagger decorators. */
export function createServiceOpenApiDocument(app: INestApplication, service: string): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`Kami ${service}`)
      .setDescription(`The ${service} service's routes, as merged by the gateway into the public API document.`)
      .setVersion('1')
      .build(),
  );
}

/** Holds the document generated at boot (bootstrapService fills it before the app listens). */
@Injectable()
export class ServiceOpenApiDocument {
  private document?: OpenAPIObject;

  set(document: OpenAPIObject): void {
    this.document = document;
  }

  get(): OpenAPIObject | undefined {
    return this.document;
  }
}

/** `GET /internal/openapi.json`: no identity needed (it holds no secrets, only route shapes). */
@ApiExcludeController()
@Public()
@Controller()
export class InternalOpenApiController {
  constructor(private readonly holder: ServiceOpenApiDocument) {}

  @Get(INTERNAL_OPENAPI_PATH)
  document(): OpenAPIObject {
    // Set before listen, so always there once requests arrive; an empty document would mislead.
    const document = this.holder.get();
    if (!document) throw new Error('the OpenAPI document was not generated at boot');
    return document;
  }
}

/** Added next to a service's root module by bootstrapService. */
@Module({ controllers: [InternalOpenApiController], providers: [ServiceOpenApiDocument] })
export class InternalOpenApiModule {}

/** Generates the service's document from the created (not yet listening) app and serves it internally. */
export function serveInternalOpenApi(app: INestApplication, service: string): OpenAPIObject {
  const document = createServiceOpenApiDocument(app, service);
  app.get(ServiceOpenApiDocument).set(document);
  return document;
}
