import { useCallback, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api';
import { DEFAULT_MERCHANT_KEY_SCOPES, MERCHANT_KEY_SCOPES, type ApiKey, type ApiKeyScope } from '../../pages/merchant/types';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { EmptyState, ErrorAlert, TextField } from '../ui';
import { SecretOnce } from './common';
import { ListStates } from '../list';

/** The organisation's API keys (gateway identity API): list with their scopes, create with chosen scopes (the key shown once), revoke. */
export function ApiKeysSection() {
  const { t, dateTime } = useI18n();
  const load = useCallback((signal: AbortSignal) => api.get<{ items: ApiKey[] }>('/api/v1/identity/api-keys', { signal }), []);
  const keys = useApiData(load);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>([...DEFAULT_MERCHANT_KEY_SCOPES]);
  const [nameError, setNameError] = useState<string[] | undefined>();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError([t('merchant.apiKeys.nameRequired')]);
      return;
    }
    setNameError(undefined);
    setCreating(true);
    setError(null);
    try {
      // Not idempotent on the server (the key is stored hashed): one click, one key.
      const answer = await api.post<ApiKey & { key: string }>('/api/v1/identity/api-keys', { name: name.trim(), scopes });
      setCreated({ name: answer.name, key: answer.key });
      setName('');
      setScopes([...DEFAULT_MERCHANT_KEY_SCOPES]);
      keys.reload();
    } catch (failure) {
      setError(failure);
    } finally {
      setCreating(false);
    }
  }

  async function onRevoke(key: ApiKey) {
    if (!window.confirm(t('merchant.apiKeys.revokeConfirm', { name: key.name }))) return;
    setError(null);
    try {
      await api.delete(`/api/v1/identity/api-keys/${key.id}`);
      keys.reload();
    } catch (failure) {
      setError(failure);
    }
  }

  const apiError = error instanceof ApiError ? error : null;
  return (
    <section className="card" aria-labelledby="api-keys-title" aria-busy={keys.loading}>
      <h2 id="api-keys-title" className="card__title">
        {t('merchant.apiKeys.title')}
      </h2>
      <p className="muted">{t('merchant.apiKeys.intro')}</p>
      {created ? <SecretOnce title={t('merchant.apiKeys.created', { name: created.name })} value={created.key} onDone={() => setCreated(null)} /> : null}
      <form onSubmit={onCreate} noValidate className="m-form-row">
        <TextField
          label={t('merchant.apiKeys.name')}
          hint={t('merchant.apiKeys.nameHint')}
          name="apiKeyName"
          maxLength={100}
          autoComplete="off"
          value={name}
          errors={nameError ?? (apiError?.fieldMessages('name').length ? apiError.fieldMessages('name') : undefined)}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset className="field" data-testid="api-key-scopes">
          <legend>{t('merchant.apiKeys.scopes')}</legend>
          {MERCHANT_KEY_SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                checked={scopes.includes(scope)}
                onChange={(e) => setScopes((now) => (e.target.checked ? [...now, scope] : now.filter((s) => s !== scope)))}
              />{' '}
              <span className="mono">{scope}</span> {t(`merchant.apiKeys.scope.${scope}`)}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <button type="submit" className="button button--primary" disabled={creating || scopes.length === 0} style={{ marginTop: 24 }}>
            {creating ? t('merchant.apiKeys.creating') : t('merchant.apiKeys.create')}
          </button>
        </div>
      </form>
      <ErrorAlert error={error} />
      <ListStates of={keys} count={keys.data?.items.length ?? 0} empty={<EmptyState title={t('merchant.apiKeys.empty')} />}>
        <div className="table-scroll">
          <table className="table" data-testid="api-keys">
            <thead>
              <tr>
                <th scope="col">{t('merchant.apiKeys.col.name')}</th>
                <th scope="col">{t('merchant.apiKeys.col.prefix')}</th>
                <th scope="col">{t('merchant.apiKeys.col.scopes')}</th>
                <th scope="col">{t('merchant.apiKeys.col.created')}</th>
                <th scope="col">{t('merchant.apiKeys.col.lastUsed')}</th>
                <th scope="col">{t('merchant.apiKeys.col.status')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('merchant.apiKeys.revoke')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data?.items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td className="mono">{key.prefix}…</td>
                  <td className="mono">{key.scopes.join(' ')}</td>
                  <td>{dateTime(key.createdAt)}</td>
                  <td>{key.lastUsedAt ? dateTime(key.lastUsedAt) : t('merchant.apiKeys.never')}</td>
                  <td>{key.revokedAt ? <span className="badge badge--bad">{t('merchant.apiKeys.revoked')}</span> : <span className="badge badge--ok">{t('merchant.apiKeys.active')}</span>}</td>
                  <td>
                    {key.revokedAt ? null : (
                      <button type="button" className="button button--secondary button--small" onClick={() => onRevoke(key)} aria-label={t('merchant.apiKeys.revokeOne', { name: key.name })}>
                        {t('merchant.apiKeys.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListStates>
    </section>
  );
}
