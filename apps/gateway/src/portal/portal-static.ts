import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError, sendProblem, toProblem } from '@kami/platform';

/*
 * The portal (apps/portal, a Vite single-page app) as the gateway serves it: its built files at `/`,
 * index.html for every other page path (the app routes in the browser: `/merchant/orders` is a deep
 * link, not a file), the API untouched under `/api`. Runs before the gateway's own middleware, so
 * the page and its assets count against no API rate limit.
 */

/** Paths that are never the portal's, whatever the case (Express matches routes case-insensitively). */
const NOT_PORTAL = /^\/(api|health|metrics|internal)(\/|$)/i;
/** Vite's content-hashed build output (`assets/index-B1x2y3z4.js`): safe to cache for a year. */
const HASHED_ASSET = /^\/assets\/.+[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * `<workspace>/dist/apps/portal`, found from this file's own place, so it is the same directory
 * whether the gateway runs from TypeScript (`apps/gateway/src/portal`, the test harness) or from the
 * build (`dist/apps/gateway/src/portal`, `npm start` and the Docker image).
 */
export function defaultPortalDir(from: string = __dirname): string {
  const parts = path.resolve(from).split(path.sep);
  const at = parts.lastIndexOf('apps');
  let root = at > 0 ? parts.slice(0, at).join(path.sep) || path.sep : path.resolve(from, '../../../..');
  if (path.basename(root) === 'dist') root = path.dirname(root);
  return path.join(root, 'dist', 'apps', 'portal');
}

function cacheHeaders(res: Response, file: string, root: string): void {
  const relative = `/${path.relative(root, file).split(path.sep).join('/')}`;
  if (HASHED_ASSET.test(relative)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  // index.html names the current hashed assets: always revalidate it (and anything unhashed).
  else res.setHeader('Cache-Control', 'no-cache');
}

/** Whether a GET is a page of the app (served index.html) rather than a file. */
function isPageRequest(req: Request): boolean {
  const last = req.path.split('/').pop() ?? '';
  return !last.includes('.') || /text\/html/.test(req.headers.accept ?? '');
}

/**
 * Express middleware serving the built portal from `dir`. When the portal is not built, its pages
 * answer 503 `portal_not_built` and the API goes on as before.
 */
export function portalMiddleware(dir: string): RequestHandler {
  const root = path.resolve(dir);
  const indexFile = path.join(root, 'index.html');
  const files = express.static(root, {
    index: false,
    redirect: false,
    fallthrough: true,
    dotfiles: 'ignore',
    // The headers below set Cache-Control themselves.
    cacheControl: false,
    setHeaders: (res, file) => cacheHeaders(res as Response, file, root),
  });

  const sendIndex = (req: Request, res: Response, next: NextFunction): void => {
    if (!fs.existsSync(indexFile)) {
      sendProblem(
        res,
        toProblem(new DomainError('portal_not_built', 503, 'The portal is not built: run `npm start`, or `npx nx run portal:build`.')),
        req.originalUrl,
      );
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile, { dotfiles: 'deny', cacheControl: false }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  };

  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PORTAL.test(req.path)) return next();
    if (req.path === '/' || req.path.toLowerCase() === '/index.html') return sendIndex(req, res, next);
    files(req, res, () => (isPageRequest(req) ? sendIndex(req, res, next) : next()));
  };
}
