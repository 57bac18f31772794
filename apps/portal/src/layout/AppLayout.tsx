import { Link, NavLink, Outlet } from 'react-router';
import { useI18n } from '../i18n/i18n';
import { homePath, PAGES } from '../routes';
import { useSession } from '../session/session';
import { LanguageSwitch } from './LanguageSwitch';

/** The frame of every logged-in page: header (organisation, language, logout), navigation, main. */
export function AppLayout() {
  const { t } = useI18n();
  const { session, organisation, logout } = useSession();
  if (!session) return null;
  const type = session.claims.orgType;
  const links = PAGES[type].filter((page) => page.navKey);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="app-header">
        <div className="app-header__bar">
          <Link className="app-header__brand" to={homePath(type)}>
            {t('app.name')}
          </Link>
          <div className="app-header__org" aria-label={t('header.account')}>
            <span className="app-header__org-name" data-testid="organisation-name">
              {organisation?.name ?? '…'}
            </span>
            <span className={`badge badge--${type}`} data-testid="organisation-type">
              {t(`org.type.${type}` as const)}
            </span>
          </div>
          <div className="app-header__tools">
            <LanguageSwitch />
            <button type="button" className="button button--ghost" onClick={logout}>
              {t('header.logout')}
            </button>
          </div>
        </div>
        <nav className="app-nav" aria-label={t('nav.label')}>
          <ul>
            {links.map((page) => (
              <li key={page.path}>
                <NavLink to={`/${type}/${page.path}`} className={({ isActive }) => (isActive ? 'app-nav__link app-nav__link--active' : 'app-nav__link')}>
                  {page.navKey ? t(page.navKey) : page.path}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
