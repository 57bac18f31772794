import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { IdentityResolver } from '@kami/platform';
import { isPublicRoute, routeFor } from '../../routing/route-table';
import { assertApiKeyMayCall, type KeyedIdentity } from './api-key-scopes';

/**
 * Before a request is forwarded to a service: an API key may call the route only when the route
 * is open to keys and the key holds its scope (SCOPE_RULES). Portal sessions pass; the services'
 * own access policies apply to both. The identity resolved here is the one the proxy forwards.
 */
@Injectable()
export class ApiKeyScopeMiddleware implements NestMiddleware {
  constructor(private readonly identities: IdentityResolver) {}

  async use(req: Request & { identity?: KeyedIdentity }, _res: Response, next: NextFunction): Promise<void> {
    try {
      if (routeFor(req.originalUrl) && !isPublicRoute(req.method, req.originalUrl)) {
        const identity = req.identity ?? ((await this.identities.resolve(req)) as KeyedIdentity | undefined);
        if (identity) {
          req.identity = identity;
          assertApiKeyMayCall(identity, req.method, req.originalUrl);
        }
      }
      next();
    } catch (error) {
      next(error);
    }
  }
}
