import { decodeClaims, isExpired, type SessionClaims } from './jwt';
import { refreshDelayMs } from './refresh-policy';

/**
 * The session token, kept in localStorage (so a reload or a second tab stays logged in) and
 * dropped when it expires. Session tokens are short-lived (JWT_TTL_SECONDS, 15 min by default):
 * while the user is active the token is renewed shortly before it expires (refresh-policy.ts);
 * an idle tab's session ends, the API answers 401 and the portal returns to the login page, saying why.
 */
export interface StoredSession {
  token: string;
  claims: SessionClaims;
}

export type EndReason = 'expired' | 'logged_out';

const STORAGE_KEY = 'kami.session';
type Listener = () => void;
const listeners = new Set<Listener>();
let current: StoredSession | null = null;
let endReason: EndReason | null = null;
let expiryTimer: ReturnType<typeof setTimeout> | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Trades a session token for a fresh one (set by the API client, which imports this store). */
let refresher: ((token: string) => Promise<string>) | undefined;
/** The last click or key press in this tab (milliseconds since the epoch). */
let lastActivityMs = 0;
const RETRY_REFRESH_MS = 15_000;

function read(): StoredSession | null {
  try {
    const token = window.localStorage.getItem(STORAGE_KEY);
    if (!token) return null;
    const claims = decodeClaims(token);
    if (!claims || isExpired(claims)) {
      window.localStorage.removeItem(STORAGE_KEY);
      return null;
    }
    return { token, claims };
  } catch {
    return null;
  }
}

function emit(): void {
  for (const listener of listeners) listener();
}

/** Holds `next`, renews it before it expires if the user is active, and ends it when it expires. */
function hold(next: StoredSession | null): void {
  current = next;
  clearTimeout(expiryTimer);
  clearTimeout(refreshTimer);
  if (!next) return;
  expiryTimer = setTimeout(() => sessionStore.clear('expired'), Math.max(0, next.claims.exp * 1000 - Date.now() - 5_000));
  const heldSince = Date.now();
  refreshTimer = setTimeout(() => void refreshIfActive(next, heldSince), refreshDelayMs(next.claims, heldSince));
}

/** Renews the held token if the user clicked or typed in this tab since it was received. */
async function refreshIfActive(held: StoredSession, heldSince: number): Promise<void> {
  if (current !== held || !refresher || lastActivityMs < heldSince) return;
  try {
    const token = await refresher(held.token);
    if (current === held) sessionStore.set(token);
  } catch {
    // A 401 has ended the session already (the API client's handler); a network failure is tried
    // again while the token lasts.
    if (current === held && !isExpired(held.claims)) refreshTimer = setTimeout(() => void refreshIfActive(held, heldSince), RETRY_REFRESH_MS);
  }
}

export const sessionStore = {
  /** The session (a stable snapshot for useSyncExternalStore). */
  get(): StoredSession | null {
    return current;
  },
  token(): string | null {
    return current && !isExpired(current.claims) ? current.token : null;
  },
  set(token: string): StoredSession {
    const claims = decodeClaims(token);
    if (!claims) throw new Error('not a session token');
    const next = { token, claims };
    hold(next);
    endReason = null;
    try {
      window.localStorage.setItem(STORAGE_KEY, token);
    } catch {
      // kept in memory only
    }
    emit();
    return next;
  },
  clear(reason: EndReason): void {
    if (current === null) return;
    hold(null);
    endReason = reason;
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    emit();
  },
  /** Why the last session ended, without consuming it. */
  peekEndReason(): EndReason | null {
    return endReason;
  },
  /** Why the last session ended (read once by the login page). */
  takeEndReason(): EndReason | null {
    const reason = endReason;
    endReason = null;
    return reason;
  },
  /** How to renew a token (POST /api/v1/identity/sessions/refresh). */
  useRefresher(refresh: (token: string) => Promise<string>): void {
    refresher = refresh;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// What counts as the user being active: a click, a tap or a key press in this tab.
for (const type of ['pointerdown', 'keydown'] as const) {
  window.addEventListener(type, () => (lastActivityMs = Date.now()), { capture: true, passive: true });
}

// Another tab logged in, out, or renewed the token.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY) return;
  hold(read());
  emit();
});

hold(read());
