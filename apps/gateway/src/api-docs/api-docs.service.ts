import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OpenAPIObject, SecurityRequirementObject } from '@nestjs/swagger';
import { INTERNAL_OPENAPI_PATH, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { ROUTES, upstreamUrls, type UpstreamService } from '../routing/route-table';
import { isOpenApiDocument, mergeOpenApiDocuments, type ServiceDocument } from './merge-openapi';

/** How long the gateway waits for a service's document: the docs never hang on a service that is down. */
export const FETCH_TIMEOUT_MS = 2000;
/** How long a service's document is reused. */
export const DOCUMENT_TTL_MS = 30_000;
/** How long a service that did not answer stays out before it is asked again. */
export const MISSING_TTL_MS = 10_000;

interface CacheEntry {
  expiresAt: number;
  document: Promise<OpenAPIObject | undefined>;
}

/**
 * The public API document: the gateway's own routes plus each service's public routes, from the
 * document the service serves at `/internal/openapi.json`. Fetched when the docs are asked for,
 * in parallel, with a short timeout, and cached briefly; a service that does not answer is left
 * out and named in `x-kami-missing-services`. Building the document never fails.
 */
@Injectable()
export class ApiDocsService {
  private readonly logger = new Logger('ApiDocs');
  private readonly urls: Record<UpstreamService, string>;
  private readonly services: UpstreamService[] = [...new Set(ROUTES.map((route) => route.service))];
  private readonly cache = new Map<UpstreamService, CacheEntry>();
  /** The last merge and what it was made of (the same inputs give the same document: merged once, conflicts logged once). */
  private lastMerge?: { own: OpenAPIObject; inputs: (OpenAPIObject | undefined)[]; document: OpenAPIObject };

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig) {
    this.urls = upstreamUrls(config);
  }

  /** The gateway's own document (not modified) merged with every service's that answers. */
  async publicDocument(own: OpenAPIObject): Promise<OpenAPIObject> {
    const inputs = await Promise.all(this.services.map((service) => this.serviceDocument(service)));
    const last = this.lastMerge;
    if (last && last.own === own && last.inputs.every((input, i) => input === inputs[i])) return last.document;

    const available: ServiceDocument[] = [];
    const missing: UpstreamService[] = [];
    this.services.forEach((service, i) => {
      const document = inputs[i];
      if (document) available.push({ service, prefixes: ROUTES.filter((r) => r.service === service).map((r) => r.prefix), document });
      else missing.push(service);
    });
    const { document, conflicts } = mergeOpenApiDocuments(own, available, { missing, security: gatewaySecurity(own) });
    for (const conflict of conflicts) {
      if (conflict.kind === 'component_renamed') {
        this.logger.warn(
          conflict,
          `OpenAPI: the ${conflict.service} service's ${conflict.componentType} "${conflict.name}" differs from one already in the document; published as "${conflict.renamedTo}"`,
        );
      } else {
        this.logger.warn(conflict, `OpenAPI: the ${conflict.service} service documents ${conflict.path}, which the document already has; kept the first`);
      }
    }
    this.lastMerge = { own, inputs, document };
    return document;
  }

  /** A service's document from the cache, or fetched; undefined when the service does not answer with one. */
  private serviceDocument(service: UpstreamService): Promise<OpenAPIObject | undefined> {
    const now = Date.now();
    const cached = this.cache.get(service);
    if (cached && cached.expiresAt > now) return cached.document;
    const entry: CacheEntry = { expiresAt: now + DOCUMENT_TTL_MS, document: this.fetchDocument(service) };
    this.cache.set(service, entry);
    void entry.document.then((document) => {
      if (!document) entry.expiresAt = Math.min(entry.expiresAt, Date.now() + MISSING_TTL_MS);
    });
    return entry.document;
  }

  private async fetchDocument(service: UpstreamService): Promise<OpenAPIObject | undefined> {
    const url = `${this.urls[service]}${INTERNAL_OPENAPI_PATH}`;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      const body: unknown = await response.json();
      if (!isOpenApiDocument(body)) throw new Error('answered something that is not an OpenAPI document');
      return body;
    } catch (error) {
      this.logger.warn(
        { service, url, err: error instanceof Error ? error.message : String(error) },
        `OpenAPI: left the ${service} service out of the API document (its document could not be fetched)`,
      );
      return undefined;
    }
  }
}

/** Each of the gateway's security schemes as an alternative: a bearer token or an API key. */
export function gatewaySecurity(own: OpenAPIObject): SecurityRequirementObject[] {
  return Object.keys(own.components?.securitySchemes ?? {}).map((name) => ({ [name]: [] }));
}
