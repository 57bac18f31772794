import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import {
  DomainError,
  IDENTITY_HEADER,
  IdentityResolver,
  REQUEST_ID_HEADER,
  SERVICE_TOKEN_HEADER,
  SERVICE_CONFIG,
  sendProblem,
  signIdentity,
  toProblem,
  type Identity,
} from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { API_KEY_HEADER } from '../identity/gateway-identity.resolver';
import { isPublicRoute, routeFor, upstreamUrls, type UpstreamService } from './route-table';

type ProxiedRequest = Request & { id?: string; identity?: Identity; upstream?: UpstreamService };

/**
 * Forwards `/api/v1/<area>/...` to the owning service with http-proxy-middleware, after
 * authenticating the caller. The body is streamed through untouched (large CSV uploads never
 * sit in the gateway's memory). Client-sent identity headers and credentials are dropped;
 * the service receives only the gateway's signed identity for that service.
 */
@Injectable()
export class ProxyMiddleware implements NestMiddleware {
  private readonly logger = new Logger('Proxy');
  private readonly proxies: Map<UpstreamService, RequestHandler<IncomingMessage, ServerResponse>>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly identities: IdentityResolver,
  ) {
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
    } catch (error) {
      return this.sendProblem(res, error, req.id);
    }
    // Nest mounts middleware on a path and Express strips it from req.url: forward the full path.
    req.url = req.originalUrl;
    await this.proxies.get(route.service)!(req, res, next);
  }

  private createProxy(service: UpstreamService, target: string): RequestHandler<IncomingMessage, ServerResponse> {
    return createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
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
          // Service-to-service credentials never come from outside.
          proxyReq.removeHeader(SERVICE_TOKEN_HEADER);
          proxyReq.removeHeader(IDENTITY_HEADER);
          if (request.identity) proxyReq.setHeader(IDENTITY_HEADER, signIdentity(request.identity, service, this.config.INTERNAL_IDENTITY_SECRET));
          if (request.id) proxyReq.setHeader(REQUEST_ID_HEADER, request.id);
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
