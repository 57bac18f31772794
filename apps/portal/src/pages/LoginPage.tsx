import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../api';
import { ErrorAlert, Notice, TextField } from '../components/ui';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { homePath } from '../routes';
import { useSession } from '../session/session';
import { sessionStore, type EndReason } from '../session/store';

/** Only paths inside the portal are followed after login (never another site). */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : null;
}

export function LoginPage() {
  const { t } = useI18n();
  const { session, login } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [endReason] = useState<EndReason | null>(() => sessionStore.takeEndReason());
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const title = `${t('login.title')} · ${t('app.name')}`;
  useEffect(() => {
    document.title = title;
  }, [title]);

  if (session && !submitting) return <Navigate to={safeNext(params.get('next')) ?? homePath(session.claims.orgType)} replace />;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const started = await login(email.trim(), password);
      navigate(safeNext(params.get('next')) ?? homePath(started.claims.orgType), { replace: true });
    } catch (failure) {
      setError(failure);
      setSubmitting(false);
    }
  }

  const fieldErrors = error instanceof ApiError ? error : null;
  return (
    <div className="login">
      <div className="login__tools">
        <LanguageSwitch />
      </div>
      <main id="main" className="login__card">
        <p className="login__brand">{t('app.name')}</p>
        <p className="login__tagline">{t('app.tagline')}</p>
        <h1>{t('login.title')}</h1>
        {endReason === 'expired' ? <Notice tone="info">{t('login.sessionExpired')}</Notice> : null}
        {endReason === 'logged_out' ? <Notice tone="info">{t('login.loggedOut')}</Notice> : null}
        <form onSubmit={onSubmit} noValidate>
          <TextField
            label={t('login.email')}
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            errors={fieldErrors?.fieldMessages('email')}
          />
          <TextField
            label={t('login.password')}
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            errors={fieldErrors?.fieldMessages('password')}
          />
          <ErrorAlert error={error} />
          <button type="submit" className="button button--primary button--block" disabled={submitting}>
            {submitting ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  );
}
