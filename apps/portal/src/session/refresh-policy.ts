/**
 * When the portal renews its session token. Tokens are short-lived (15 min by default); while the
 * user works, the portal trades the token for a fresh one shortly before it expires, so nobody is
 * sent to the login page mid-task. An idle tab is left to expire (the idle timeout), and the
 * gateway ends every session at its maximum age from the login whatever the refreshes.
 */
export interface TokenTimes {
  /** seconds since the epoch */
  exp: number;
  /** seconds since the epoch (absent in older tokens) */
  iat?: number;
}

/** The longest the portal renews before expiry: a minute, or a fifth of a shorter life. */
const MAX_MARGIN_MS = 60_000;
/**
 * Never sooner than this after getting a token: with the browser's clock ahead of the gateway's,
 * the renewal time can already have passed, and renewing at once would renew again and again.
 */
export const MIN_REFRESH_DELAY_MS = 10_000;

/** How long after `nowMs` to renew the token. */
export function refreshDelayMs(token: TokenTimes, nowMs: number): number {
  const expMs = token.exp * 1000;
  const lifetimeMs = token.iat === undefined ? MAX_MARGIN_MS * 5 : Math.max(0, expMs - token.iat * 1000);
  return Math.max(MIN_REFRESH_DELAY_MS, expMs - Math.min(MAX_MARGIN_MS, lifetimeMs / 5) - nowMs);
}
