import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { api } from '../api';
import type { Organisation, Session } from '../api/types';
import { sessionStore, type StoredSession } from './store';

export interface SessionContextValue {
  /** The decoded session (organisation id and type, roles) or null when logged out. */
  session: StoredSession | null;
  /** The organisation's name and type from GET /identity/organisation (null while loading). */
  organisation: Organisation | null;
  login: (email: string, password: string) => Promise<StoredSession>;
  logout: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const [organisation, setOrganisation] = useState<Organisation | null>(null);
  const organisationId = session?.claims.org ?? null;

  useEffect(() => {
    if (!organisationId) return;
    const controller = new AbortController();
    api
      .get<Organisation>('/api/v1/identity/organisation', { signal: controller.signal })
      .then(setOrganisation)
      .catch(() => {
        // the header falls back to the type from the token; a 401 has already ended the session
      });
    return () => controller.abort();
  }, [organisationId]);

  const login = useCallback(async (email: string, password: string) => {
    const created = await api.post<Session>('/api/v1/identity/sessions', { email, password });
    setOrganisation(null);
    return sessionStore.set(created.accessToken);
  }, []);

  const logout = useCallback(() => {
    const token = sessionStore.token();
    setOrganisation(null);
    sessionStore.clear('logged_out');
    // Ends the session on the server too, so the token (should it have been copied) opens nothing
    // any more. Logged out here whatever the answer: a failure leaves the token to expire.
    if (token) void api.post('/api/v1/identity/sessions/logout', undefined, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
  }, []);

  const value = useMemo<SessionContextValue>(
    () => ({ session, organisation: organisation && organisation.id === organisationId ? organisation : null, login, logout }),
    [session, organisation, organisationId, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const context = useContext(SessionContext);
  if (!context) throw new Error('useSession outside SessionProvider');
  return context;
}
