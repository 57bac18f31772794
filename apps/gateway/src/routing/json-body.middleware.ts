import { Injectable, type NestMiddleware } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { assertJsonDepth, CommonErrorCodes, DomainError } from '@kami/platform';

const parse = json({ limit: '64kb', verify: (_req, _res, buffer) => assertJsonDepth(buffer) });

/**
 * JSON bodies for the gateway's own routes only (proxied bodies stream through untouched).
 * Runs after the request id is assigned, and turns parser failures into problem+json codes (a body
 * nested too deep is refused before it is parsed).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') return next(new DomainError(CommonErrorCodes.PayloadTooLarge, 413, 'The request body is too large.'));
      if (type === 'entity.parse.failed') return next(new DomainError(CommonErrorCodes.MalformedJson, 400, 'The request body is not valid JSON.'));
      next(error);
    });
  }
}
