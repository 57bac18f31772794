import { decodeClaims, isExpired, type SessionClaims } from './jwt';

/**
 * The session token, kept in localStorage (so a reload or a second tab stays logged in) and
 * dropped when it expires. Session tokens are short-lived (JWT_TTL_SECONDS, 15 min by default);
 * the API answers 401 after that and the portal returns to the login page, saying why.
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

/** Holds `next` and ends it when its token expires. */
function hold(next: StoredSession | null): void {
  current = next;
  clearTimeout(expiryTimer);
  if (next) expiryTimer = setTimeout(() => sessionStore.clear('expired'), Math.max(0, next.claims.exp * 1000 - Date.now() - 5_000));
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
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab logged in or out.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY) return;
  hold(read());
  emit();
});

hold(read());
