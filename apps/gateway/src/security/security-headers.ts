import type { Request, RequestHandler } from 'express';

/*
 * Security headers on every answer of the gateway: the portal's pages and files, the API (the
 * gateway's own routes and what it proxies), its problems and health. Set before anything else
 * runs, so an early answer (a 404, a rate limit, a proxy error) carries them as well.
 *
 * - Content-Security-Policy: the portal loads only its own files (Vite's build has no inline script
 *   or style; the favicon is a `data:` URL); an API answer loads nothing; Swagger UI at /api/docs
 *   needs inline styles. Every policy forbids framing (frame-ancestors 'none', and X-Frame-Options
 *   DENY for older browsers), plugins and <base>.
 * - X-Content-Type-Options nosniff, Referrer-Policy no-referrer (portal paths name orders and codes),
 *   Cross-Origin-Opener-Policy and -Resource-Policy same-origin.
 * - Strict-Transport-Security only on an answer to an https request: TLS to the gateway itself, or
 *   X-Forwarded-Proto: https from a proxy in TRUSTED_PROXIES (Express's req.secure). Over plain http
 *   it would be ignored anyway, and sending it from a development gateway would pin localhost to https.
 */

const policy = (directives: Record<string, string>): string =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

const FORBID = { 'object-src': "'none'", 'base-uri': "'none'", 'frame-ancestors': "'none'" };

export const PORTAL_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  'connect-src': "'self'",
  'form-action': "'self'",
  ...FORBID,
});

export const API_CSP = policy({ 'default-src': "'none'", 'form-action': "'none'", ...FORBID });

/** Swagger UI (@nestjs/swagger): its scripts are files, but its page and components style inline. */
export const API_DOCS_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'form-action': "'self'",
  ...FORBID,
});

export const HSTS = 'max-age=31536000';

/** Paths that are the API's, not the portal's (as in portal-static.ts). */
const API_PATH = /^\/(api|health|metrics|internal)(\/|$)/i;
/** Swagger UI's page and files; its JSON and YAML documents are API answers. */
const API_DOCS_UI = /^\/api\/docs(\/(?!openapi\.json$)|$)/i;

function contentSecurityPolicy(req: Request): string {
  if (API_DOCS_UI.test(req.path)) return API_DOCS_CSP;
  return API_PATH.test(req.path) ? API_CSP : PORTAL_CSP;
}

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(req));
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}
