import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import type { OrganisationType } from './api/types';
import { AppLayout } from './layout/AppLayout';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/shared/NotFoundPage';
import { homePath, ORGANISATION_TYPES, PAGES } from './routes';
import { useSession } from './session/session';
import { sessionStore } from './session/store';

/**
 * Logged-out visitors go to /login, which brings them back here afterwards (`?next=`) — unless
 * they just logged out themselves.
 */
function RequireSession() {
  const { session } = useSession();
  const location = useLocation();
  if (!session) {
    if (sessionStore.peekEndReason() === 'logged_out') return <Navigate to="/login" replace />;
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

/** Pages of one organisation type; anyone else is sent to their own start page. */
function RequireOrganisationType({ type }: { type: OrganisationType }) {
  const { session } = useSession();
  if (session && session.claims.orgType !== type) return <Navigate to={homePath(session.claims.orgType)} replace />;
  return <Outlet />;
}

function HomeRedirect() {
  const { session } = useSession();
  return session ? <Navigate to={homePath(session.claims.orgType)} replace /> : <Navigate to="/login" replace />;
}

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireSession />}>
          <Route element={<AppLayout />}>
            <Route index element={<HomeRedirect />} />
            {ORGANISATION_TYPES.map((type) => (
              <Route key={type} path={type} element={<RequireOrganisationType type={type} />}>
                <Route index element={<Navigate to={homePath(type)} replace />} />
                {PAGES[type].map((page) => (
                  <Route key={page.path} path={page.path} element={page.element} />
                ))}
              </Route>
            ))}
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
