import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type NestMiddleware, type OnApplicationShutdown } from '@nestjs/common';
import HttpAgent from 'agentkeepalive';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import {
  assertJsonDepth,
  bodyDigest,
  CommonErrorCodes,
  DomainError,
  EMPTY_BODY_DIGEST,
  hasBody,
  IDENTITY_HEADER,
  IdentityResolver,
  REQUEST_ID_HEADER,
  SERVICE_TOKEN_HEADER,
  SERVICE_CONFIG,
  sendProblem,
  parsePrivateKey,
  signIdentity,
  toProblem,
  UNSIGNED_PAYLOAD,
  type Identity,
} from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { API_KEY_HEADER } from '../identity/gateway-identity.resolver';
import { isPublicRoute, routeFor, upstreamUrls, type UpstreamService } from './route-table';
import { StockPullBatcher } from './stock-pull-batcher';

type ProxiedRequest = Request & { id?: string; identity?: Identity; upstream?: UpstreamService; jsonBody?: Buffer; forwardedBodyDigest?: string };

/** The largest JSON body the gateway holds to sign its digest (the largest any service accepts: catalog's 8 MB). */
export const PROXIED_JSON_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Connections to the services are kept open and reused (a new TCP connection per request was a
 * third of a storefront pull's time). An idle one is dropped after 4 s, before the service's own
 * 5 s keep-alive timeout (Node's default) can close it under a request being sent on it.
 */
const UPSTREAM_FREE_SOCKET_MS = 4_000;

/**
 * Forwards `/api/v1/<area>/...` to the owning service with http-proxy-middleware, after
 * authenticating the caller. Client-sent identity headers and credentials are dropped; the
 * service receives only the gateway's identity, signed for that service and that very request
 * (method, path with query, SHA-256 of the body). A JSON body is read first to sign its digest
 * (and sent on byte for byte); any other body (a CSV upload) streams through untouched, never in
 * the gateway's memory, and is signed as UNSIGNED-PAYLOAD. A storefront's pull goes to delivery
 * grouped with the pulls that arrive with it (StockPullBatcher).
 */
@Injectable()
export class ProxyMiddleware implements NestMiddleware, OnApplicationShutdown {
  private readonly logger = new Logger('Proxy');
  private readonly agent = new HttpAgent({ keepAlive: true, freeSocketTimeout: UPSTREAM_FREE_SOCKET_MS, maxFreeSockets: 256 });
  private readonly proxies: Map<UpstreamService, RequestHandler<IncomingMessage, ServerResponse>>;
  private readonly identityKey: KeyObject;

  constructor(
    @Inject(SERVICE_CONFIG) config: GatewayConfig,
    private readonly identities: IdentityResolver,
    private readonly stockPulls: StockPullBatcher,
  ) {
    this.identityKey = parsePrivateKey(config.GATEWAY_IDENTITY_PRIVATE_KEY);
    this.proxies = new Map(
      Object.entries(upstreamUrls(config)).map(([service, target]) => [service as UpstreamService, this.createProxy(service as UpstreamService, target)]),
    );
  }

  async use(req: ProxiedRequest, res: Response, next: NextFunction): Promise<void> {
    const route = routeFor(req.originalUrl);
    if (!route) return next();
    try {
      // A provider's notification carries no Kami credential: it goes on with no identity at all.
      if (!isPublicRoute(req.method, req.originalUrl)) {
        const identity = req.identity ?? (await this.identities.resolve(req));
        if (!identity) throw new DomainError('unauthenticated', 401, 'Authentication is required.');
        req.identity = identity;
      } else {
        req.identity = undefined;
      }
      req.upstream = route.service;
      const pulledProduct = this.stockPulls.productOf(req);
      if (pulledProduct !== undefined) return await this.stockPulls.pull(req, res, pulledProduct);
      if (req.identity) {
        if (req.is('application/json')) {
          req.jsonBody = await readBody(req, PROXIED_JSON_LIMIT_BYTES);
          assertJsonDepth(req.jsonBody);
          req.forwardedBodyDigest = bodyDigest(req.jsonBody);
        } else {
          req.forwardedBodyDigest = hasBody(req) ? UNSIGNED_PAYLOAD : EMPTY_BODY_DIGEST;
        }
      }
    } catch (error) {
      return this.sendProblem(res, error, req.id);
    }
    // Nest mounts middleware on a path and Express strips it from req.url: forward the full path.
    req.url = req.originalUrl;
    await this.proxies.get(route.service)!(req, res, next);
  }

  onApplicationShutdown(): void {
    this.agent.destroy();
  }

  private createProxy(service: UpstreamService, target: string): RequestHandler<IncomingMessage, ServerResponse> {
    return createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
      agent: this.agent,
      changeOrigin: true,
      xfwd: true,
      proxyTimeout: 60_000,
      timeout: 60_000,
      on: {
        proxyReq: (proxyReq, req) => {
          const request = req as ProxiedRequest;
          proxyReq.removeHeader('authorization');
          proxyReq.removeHeader(API_KEY_HEADER);
          proxyReq.removeHeader('cookie');
          // Hop by hop: the client's `Connection: close` is not the upstream connection's (kept alive).
          proxyReq.setHeader('connection', 'keep-alive');
          // Service-to-service credentials never come from outside.
          proxyReq.removeHeader(SERVICE_TOKEN_HEADER);
          proxyReq.removeHeader(IDENTITY_HEADER);
          if (request.identity) {
            const binding = { method: request.method, path: request.originalUrl, bodyDigest: request.forwardedBodyDigest ?? EMPTY_BODY_DIGEST };
            proxyReq.setHeader(IDENTITY_HEADER, signIdentity(request.identity, service, binding, this.identityKey));
          }
          if (request.id) proxyReq.setHeader(REQUEST_ID_HEADER, request.id);
          // Last: writing the body sends the headers.
          if (request.jsonBody) {
            // Read to sign its digest: sent on exactly as received (the request stream has ended, so the proxy's pipe only ends it).
            proxyReq.removeHeader('transfer-encoding');
            proxyReq.setHeader('content-length', request.jsonBody.length);
            proxyReq.write(request.jsonBody);
          }
        },
        error: (error, req, res) => {
          const request = req as ProxiedRequest;
          this.logger.warn({ err: error, service, requestId: request.id }, 'upstream unavailable');
          if ('writeHead' in res && !res.headersSent) {
            this.sendProblem(res as unknown as Response, new DomainError('service_unavailable', 503, `The ${service} service is not answering; try again shortly.`), request.id);
          } else {
            res.end();
          }
        },
      },
    });
  }

  private sendProblem(res: Response, error: unknown, requestId?: string): void {
    sendProblem(res, toProblem(error, requestId), res.req?.originalUrl);
  }
}

/** The whole body, or 413 payload_too_large past `limit` bytes (the rest is drained, not kept). */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(new DomainError(CommonErrorCodes.PayloadTooLarge, 413, 'The request body is too large.'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.once('error', (error) => {
      if (!refused) reject(error);
    });
  });
}
