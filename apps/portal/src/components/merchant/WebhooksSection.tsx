import { useCallback, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, ApiError, newIdempotencyKey } from '../../api';
import type { Page } from '../../api/types';
import { WEBHOOK_EVENTS, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint, type WebhookEvent } from '../../pages/merchant/types';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';
import { CheckboxField, EmptyState, ErrorAlert, Notice, TextField } from '../ui';
import { SecretOnce, ShortId, StatusBadge } from './common';
import { ListStates, LoadMore, useCursorList } from '../list';

/**
 * Webhook endpoints (create with the secret shown once, rotate the secret, pause and resume, delete)
 * and their deliveries (attempts, replay).
 */
export function WebhooksSection() {
  const { t, dateTime } = useI18n();
  const loadEndpoints = useCallback((signal: AbortSignal) => api.get<{ items: WebhookEndpoint[] }>('/api/v1/webhooks/endpoints', { signal }), []);
  const endpoints = useApiData(loadEndpoints);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['order.delivered']);
  const [includeCodes, setIncludeCodes] = useState(false);
  const [description, setDescription] = useState('');
  const [key, setKey] = useState(newIdempotencyKey);
  const [errors, setErrors] = useState<{ url?: string[]; events?: string[] }>({});
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const local = {
      url: /^https:\/\/\S+$/i.test(url.trim()) ? undefined : [t('merchant.webhooks.urlInvalid')],
      events: events.length ? undefined : [t('merchant.webhooks.eventsRequired')],
    };
    setErrors(local);
    if (local.url || local.events) return;
    setCreating(true);
    setError(null);
    try {
      const created = await api.post<WebhookEndpoint & { secret: string }>(
        '/api/v1/webhooks/endpoints',
        { url: url.trim(), events, includeCodes, ...(description.trim() ? { description: description.trim() } : {}) },
        { idempotencyKey: key },
      );
      setSecret({ title: t('merchant.webhooks.secretTitle'), value: created.secret });
      setUrl('');
      setDescription('');
      setKey(newIdempotencyKey());
      endpoints.reload();
    } catch (failure) {
      setError(failure);
      if (failure instanceof ApiError && failure.fieldMessages('url').length) setErrors({ url: failure.fieldMessages('url') });
    } finally {
      setCreating(false);
    }
  }

  /** Runs one row's action with its buttons disabled meanwhile; a failure shows above the list. */
  async function act(endpoint: WebhookEndpoint, work: () => Promise<void>) {
    setBusy(endpoint.id);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  }

  /** A new secret, shown once; the previous one keeps signing alongside for a while, so the shop can switch without losing a webhook. */
  const onRotate = (endpoint: WebhookEndpoint) =>
    act(endpoint, async () => {
      const rotated = await api.post<{ secret: string; previousSecretValidUntil: string }>(`/api/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`);
      setSecret({ title: t('merchant.webhooks.rotatedTitle', { url: endpoint.url, until: dateTime(rotated.previousSecretValidUntil) }), value: rotated.secret });
    });

  /** A paused endpoint gets no new deliveries; its pending ones wait until it is resumed. */
  const onToggle = (endpoint: WebhookEndpoint) =>
    act(endpoint, async () => {
      await api.patch(`/api/v1/webhooks/endpoints/${endpoint.id}`, { enabled: !endpoint.enabled });
      endpoints.reload();
    });

  async function onDelete(endpoint: WebhookEndpoint) {
    if (!window.confirm(t('merchant.webhooks.deleteConfirm', { url: endpoint.url }))) return;
    setError(null);
    try {
      await api.delete(`/api/v1/webhooks/endpoints/${endpoint.id}`);
      endpoints.reload();
    } catch (failure) {
      setError(failure);
    }
  }

  const toggle = (name: WebhookEvent, on: boolean) => setEvents(on ? [...events, name] : events.filter((e) => e !== name));
  const items = endpoints.data?.items ?? [];

  return (
    <>
      <section className="card" aria-labelledby="webhooks-title" aria-busy={endpoints.loading}>
        <h2 id="webhooks-title" className="card__title">
          {t('merchant.webhooks.title')}
        </h2>
        <p className="muted">{t('merchant.webhooks.intro')}</p>
        {secret ? <SecretOnce title={secret.title} value={secret.value} onDone={() => setSecret(null)} /> : null}
        <form onSubmit={onCreate} noValidate>
          <TextField label={t('merchant.webhooks.url')} hint={t('merchant.webhooks.urlHint')} name="webhookUrl" type="url" inputMode="url" autoComplete="off" placeholder="https://" value={url} errors={errors.url} onChange={(e) => setUrl(e.target.value)} />
          <fieldset className="m-checkgroup" aria-describedby={errors.events ? 'webhook-events-error' : undefined}>
            <legend>{t('merchant.webhooks.events')}</legend>
            {WEBHOOK_EVENTS.map((name) => (
              <CheckboxField key={name} label={`${t(`merchant.webhookEvent.${name}` as const)} (${name})`} checked={events.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
            ))}
            {errors.events ? (
              <p className="field__error" id="webhook-events-error">
                {errors.events.join(' ')}
              </p>
            ) : null}
          </fieldset>
          <CheckboxField label={t('merchant.webhooks.includeCodes')} name="includeCodes" checked={includeCodes} onChange={(e) => setIncludeCodes(e.target.checked)} />
          <TextField label={t('merchant.webhooks.description')} name="webhookDescription" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
          <ErrorAlert error={error} />
          <button type="submit" className="button button--primary" disabled={creating}>
            {creating ? t('merchant.webhooks.creating') : t('merchant.webhooks.create')}
          </button>
        </form>
        <ListStates of={endpoints} count={items.length} empty={<EmptyState title={t('merchant.webhooks.empty')} />}>
          <div className="table-scroll">
            <table className="table" data-testid="webhook-endpoints">
              <thead>
                <tr>
                  <th scope="col">{t('merchant.webhooks.col.url')}</th>
                  <th scope="col">{t('merchant.webhooks.col.events')}</th>
                  <th scope="col">{t('merchant.webhooks.col.codes')}</th>
                  <th scope="col">{t('merchant.webhooks.col.status')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('merchant.webhooks.delete')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((endpoint) => (
                  <tr key={endpoint.id}>
                    <td className="mono" title={endpoint.description ?? undefined}>
                      {endpoint.url}
                    </td>
                    <td>{endpoint.events.map((e) => t(`merchant.webhookEvent.${e}` as const)).join('、')}</td>
                    <td>{endpoint.includeCodes ? t('merchant.yes') : t('merchant.no')}</td>
                    <td>{endpoint.enabled ? <span className="badge badge--ok">{t('merchant.webhooks.enabled')}</span> : <span className="badge badge--neutral">{t('merchant.webhooks.disabled')}</span>}</td>
                    <td>
                      <div className="m-actions">
                        <button type="button" className="button button--secondary button--small" disabled={busy === endpoint.id} onClick={() => onRotate(endpoint)} aria-label={t('merchant.webhooks.rotateOne', { url: endpoint.url })}>
                          {t('merchant.webhooks.rotate')}
                        </button>
                        <button type="button" className="button button--secondary button--small" disabled={busy === endpoint.id} onClick={() => onToggle(endpoint)} aria-label={t(endpoint.enabled ? 'merchant.webhooks.disableOne' : 'merchant.webhooks.enableOne', { url: endpoint.url })}>
                          {t(endpoint.enabled ? 'merchant.webhooks.disable' : 'merchant.webhooks.enable')}
                        </button>
                        <button type="button" className="button button--secondary button--small" onClick={() => onDelete(endpoint)} aria-label={t('merchant.webhooks.deleteOne', { url: endpoint.url })}>
                          {t('merchant.webhooks.delete')}
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </ListStates>
      </section>
      <WebhookDeliveries />
    </>
  );
}

function WebhookDeliveries() {
  const { t, dateTime, number } = useI18n();
  const loadPage = useCallback(
    (cursor: string | undefined, signal?: AbortSignal) => api.get<Page<WebhookDelivery>>('/api/v1/webhooks/deliveries', { query: { limit: 20, cursor }, signal }),
    [],
  );
  const list = useCursorList(loadPage);
  const [open, setOpen] = useState<string | null>(null);
  const [replayed, setReplayed] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function onReplay(id: string) {
    setError(null);
    setReplayed(null);
    try {
      await api.post(`/api/v1/webhooks/deliveries/${id}/replay`);
      setReplayed(id);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section className="card" aria-labelledby="deliveries-title" aria-busy={list.loading}>
      <h2 id="deliveries-title" className="card__title">
        {t('merchant.webhooks.deliveries')}
      </h2>
      <ErrorAlert error={error} />
      {replayed ? <Notice>{t('merchant.webhooks.replayed')}</Notice> : null}
      <ListStates of={list} count={list.items.length} empty={<EmptyState title={t('merchant.webhooks.deliveriesEmpty')} />}>
        <div className="table-scroll">
          <table className="table" data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th scope="col">{t('merchant.webhooks.col.created')}</th>
                <th scope="col">{t('merchant.webhooks.col.event')}</th>
                <th scope="col">{t('merchant.webhooks.col.order')}</th>
                <th scope="col">{t('merchant.webhooks.col.status')}</th>
                <th scope="col" className="num">
                  {t('merchant.webhooks.col.attempts')}
                </th>
                <th scope="col">{t('merchant.webhooks.col.last')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('merchant.codes.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((d) => (
                <tr key={d.id}>
                  <td>{dateTime(d.createdAt)}</td>
                  <td>{isWebhookEvent(d.eventType) ? t(`merchant.webhookEvent.${d.eventType}` as const) : d.eventType}</td>
                  <td>
                    {d.orderId ? (
                      <Link to={`/merchant/orders/${d.orderId}`}>
                        <ShortId id={d.orderId} />
                      </Link>
                    ) : null}
                  </td>
                  <td>
                    <StatusBadge prefix="merchant.deliveryStatus" status={d.status} />
                  </td>
                  <td className="num">{number(d.attempts)}</td>
                  <td className="truncate">{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '')}</td>
                  <td>
                    <div className="m-actions" style={{ marginTop: 0, flexWrap: 'nowrap' }}>
                      <button type="button" className="button button--ghost button--small" aria-expanded={open === d.id} aria-label={t('merchant.webhooks.attemptsOne', { id: d.id.slice(0, 8) })} onClick={() => setOpen(open === d.id ? null : d.id)}>
                        {t('merchant.webhooks.attempts')}
                      </button>
                      {d.status !== 'pending' ? (
                        <button type="button" className="button button--secondary button--small" aria-label={t('merchant.webhooks.replayOne', { id: d.id.slice(0, 8) })} onClick={() => onReplay(d.id)}>
                          {t('merchant.webhooks.replay')}
                        </button>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListStates>
      {open ? <DeliveryAttempts id={open} /> : null}
      <LoadMore list={list} />
    </section>
  );
}

const isWebhookEvent = (value: string): value is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(value);

function DeliveryAttempts({ id }: { id: string }) {
  const { t, dateTime, number } = useI18n();
  const load = useCallback((signal: AbortSignal) => api.get<WebhookDelivery & { attemptLog: WebhookAttempt[] }>(`/api/v1/webhooks/deliveries/${id}`, { signal }), [id]);
  const detail = useApiData(load);
  return (
    <div aria-busy={detail.loading}>
      <h3>{t('merchant.webhooks.attemptsTitle', { id: id.slice(0, 8) })}</h3>
      <ListStates of={detail} count={detail.data?.attemptLog.length ?? 0} empty={<p className="muted">{t('merchant.webhooks.noAttempts')}</p>}>
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col" className="num">
                  {t('merchant.webhooks.col.attempt')}
                </th>
                <th scope="col">{t('merchant.webhooks.col.time')}</th>
                <th scope="col">{t('merchant.webhooks.col.result')}</th>
                <th scope="col" className="num">
                  {t('merchant.webhooks.col.duration')}
                </th>
              </tr>
            </thead>
            <tbody>
              {detail.data?.attemptLog.map((a) => (
                <tr key={`${a.round}-${a.attempt}`}>
                  <td className="num">
                    {number(a.round)}.{number(a.attempt)}
                  </td>
                  <td>{dateTime(a.attemptedAt)}</td>
                  <td>
                    {a.succeeded ? <span className="badge badge--ok">{t('merchant.webhooks.ok')}</span> : <span className="badge badge--bad">{a.statusCode !== null ? `HTTP ${a.statusCode}` : t('merchant.webhooks.noResponse')}</span>}
                    {a.error ? <span className="muted"> {a.error}</span> : null}
                  </td>
                  <td className="num">{t('merchant.webhooks.ms', { ms: number(a.durationMs) })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListStates>
    </div>
  );
}
